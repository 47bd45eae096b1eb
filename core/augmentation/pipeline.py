"""Where augmentation runs: in the tf.data pipeline or as a layer in the model.

``augment_dataset`` maps batches in tf.data on the CPU, in parallel with the
model; ``build_augmenter`` returns a Keras layer that is active only while
training. Exports never include it: a model is exported from its spec, and the
augmenter is never part of the spec, so the file loads with plain Keras.
``preview`` shows a grid of variants of one image, deterministically.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from core.augmentation.config import AugmentationConfig
from core.augmentation.recipe_settings import recipe_augmentation
from core.recipe.augment import augment_dataset as recipe_augment_dataset
from core.recipe.augment import augment_images, mix_batch

# Measured with bench/augmentation.py on the 2-core CPU machine (docs/benchmarks.md):
# the tf.data pipeline overlaps augmentation with the model's step; inside the
# model it runs serially. "auto" therefore means the pipeline.
AUTO_PLACEMENT = "pipeline"


def placement(cfg: AugmentationConfig) -> str:
    """``pipeline`` or ``model``; MixUp/CutMix need labels and the alternating
    flip the epoch, which only the pipeline has."""
    if cfg.needs_one_hot or cfg.alternating:
        return "pipeline"
    return AUTO_PLACEMENT if cfg.placement == "auto" else cfg.placement


def augment_dataset(
    batches: tf.data.Dataset,
    cfg: AugmentationConfig,
    num_classes: int,
    seed: int = 0,
    batch_size: int | None = None,
    epochs: tf.Variable | None = None,
) -> tf.data.Dataset:
    """The recipe's ``augment_dataset`` (its docstring says how) for the project's
    settings: batched ``(images, int labels)`` in, augmented batches out;
    ``epochs`` counts the passes for the alternating flip."""
    aug = recipe_augmentation(cfg)
    return recipe_augment_dataset(batches, aug, num_classes, seed, batch_size, epochs)


@keras.saving.register_keras_serializable(package="cnn_workbench")
class RandomAugment(keras.layers.Layer):
    """All per-image transforms of a config in one layer; identity at inference."""

    def __init__(self, config: AugmentationConfig, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.config = config
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def get_config(self) -> dict:
        # keras.models.clone_model (the time estimate's copy) rebuilds from this.
        return {
            **super().get_config(),
            "config": self.config.to_dict(),
            "seed": self.seed,
        }

    @classmethod
    def from_config(cls, config: dict) -> RandomAugment:
        config = dict(config)
        augmentation = AugmentationConfig.from_dict(config.pop("config"))
        return cls(augmentation, **config)

    def call(self, inputs, training=None):
        if not training:
            return inputs
        seed = tf.cast(self.seed_generator.next(), tf.int64)
        return augment_images(inputs, recipe_augmentation(self.config), seed)

    def compute_output_shape(self, input_shape):
        return input_shape


def build_augmenter(
    cfg: AugmentationConfig, seed: int | None = None
) -> keras.Sequential:
    """Keras layers that augment while training and pass images through otherwise."""
    return keras.Sequential(
        [RandomAugment(cfg, seed, name="random_augment")], name="augmentation"
    )


def preview(
    image: np.ndarray,
    cfg: AugmentationConfig,
    n: int,
    seed: int = 0,
    pool: np.ndarray | None = None,
) -> np.ndarray:
    """``n`` augmented copies of ``image`` (uint8 HxWxC) as uint8 ``(n, H, W, C)``.

    MixUp/CutMix mix the copies with images from ``pool`` (others from the
    dataset) as training would; without a pool they are left out. Copy ``i``
    is the image in epoch ``i``: the alternating flip mirrors every other one.
    """
    if image.ndim == 2:
        image = image[..., None]
    batch = tf.repeat(tf.convert_to_tensor(image[None], tf.float32), n, axis=0)
    s = tf.constant([seed, 0], tf.int64)
    aug = recipe_augmentation(cfg)
    out = augment_images(batch, aug, s, tf.range(n))
    if aug.needs_one_hot and pool is not None and len(pool):
        others = tf.convert_to_tensor(pool[np.arange(n) % len(pool)], tf.float32)
        both = tf.concat([out, others], axis=0)
        labels = tf.concat([tf.zeros([n], tf.int32), tf.ones([n], tf.int32)], axis=0)
        mixed, _ = mix_batch(both, labels, aug, 2, tf.constant([seed, 1], tf.int64))
        out = mixed[:n]
    return np.clip(np.rint(out.numpy()), 0, 255).astype(np.uint8)
