"""What a layer sees: feature maps for an image, and the pattern a filter wants.

Both follow the Keras book ("visualizing intermediate activations" and
"visualizing convnet filters") and reach inner layers of nested backbones the
same way Grad-CAM does.
"""

from __future__ import annotations

import math

import keras
import numpy as np
import tensorflow as tf

from core.inference.gradcam import forward_function
from core.inference.predict import input_size, prepare_images


def activation_grid(
    model: keras.Model, image: np.ndarray, layer: str, columns: int = 8, gap: int = 1
) -> np.ndarray:
    """Every channel of ``layer``'s output for ``image``, tiled as one uint8 image.

    Each map is scaled to its own range, so weak and strong channels both show.
    """
    forward = forward_function(model, layer)
    activation, _ = forward(tf.convert_to_tensor(prepare_images(model, [image])))
    maps = np.asarray(activation)[0]
    if maps.ndim != 3:
        raise ValueError(
            f"layer {layer!r} has no 2-D feature maps (shape {maps.shape})"
        )
    h, w, channels = maps.shape
    rows = math.ceil(channels / columns)
    sheet = np.full((rows * (h + gap) - gap, columns * (w + gap) - gap), 255, np.uint8)
    for k in range(channels):
        m = maps[..., k]
        span = m.max() - m.min()
        scaled = (m - m.min()) / span * 255 if span > 0 else np.zeros_like(m)
        r, c = divmod(k, columns)
        sheet[r * (h + gap) : r * (h + gap) + h, c * (w + gap) : c * (w + gap) + w] = (
            scaled
        )
    return sheet


def filter_pattern(
    model: keras.Model,
    layer: str,
    filter_index: int,
    steps: int = 30,
    learning_rate: float = 10.0,
    seed: int = 0,
) -> np.ndarray:
    """The input that most excites one filter, by gradient ascent (uint8 HxWxC).

    Starts from grey plus a little noise and follows the gradient of the filter's
    mean activation; the border is ignored, as in the Keras book.
    """
    h, w, c = input_size(model)
    h, w = h or 128, w or 128
    forward = forward_function(model, layer)
    rng = np.random.default_rng(seed)
    image = tf.Variable(128.0 + rng.normal(0, 20, (1, h, w, c)).astype("float32"))

    @tf.function
    def step() -> tf.Tensor:
        with tf.GradientTape() as tape:
            activation, _ = forward(image)
            loss = tf.reduce_mean(activation[:, 2:-2, 2:-2, filter_index])
        grads = tape.gradient(loss, image)
        grads = tf.math.l2_normalize(grads)
        image.assign(tf.clip_by_value(image + learning_rate * grads * 255, 0, 255))
        return loss

    for _ in range(steps):
        step()
    return np.clip(np.rint(image.numpy()[0]), 0, 255).astype(np.uint8)


def filter_response(
    model: keras.Model, layer: str, filter_index: int, image: np.ndarray
) -> float:
    """Mean activation of one filter for ``image`` (used to check the ascent)."""
    forward = forward_function(model, layer)
    activation, _ = forward(tf.convert_to_tensor(image[None].astype("float32")))
    return float(np.asarray(activation)[0, 2:-2, 2:-2, filter_index].mean())
