"""tf.data batches of images as the model takes them: size, channels, uint8 cache.

``fit_image`` is the app's in-graph resize and channel conversion
(``core.data.pipeline`` uses it); ``make_dataset`` is the pipeline of an
exported script, which decodes files with the app's Pillow decoder.
"""

from __future__ import annotations

import os

import numpy as np
import tensorflow as tf

from .images import load_image

AUTOTUNE = tf.data.AUTOTUNE


def fit_image(x: tf.Tensor, h: int, w: int, channels: int) -> tf.Tensor:
    """Resize and convert channels in-graph, staying uint8 for a compact cache."""
    if x.shape[-1] == 1 and channels == 3:
        x = tf.image.grayscale_to_rgb(x)
    elif x.shape[-1] == 3 and channels == 1:
        x = tf.cast(
            tf.round(tf.image.rgb_to_grayscale(tf.cast(x, tf.float32))), tf.uint8
        )
    if tuple(x.shape[:2]) != (h, w):
        x = tf.image.resize(x, (h, w))
        x = tf.cast(tf.clip_by_value(tf.round(x), 0, 255), tf.uint8)
    return x


def make_dataset(
    x: np.ndarray,
    y: np.ndarray,
    image_size: tuple[int, int],
    channels: int,
    batch_size: int,
    shuffle: bool = False,
    seed: int = 0,
    cache: bool = True,
) -> tf.data.Dataset:
    """Batches of (float32 images in 0-255, int labels): the model rescales.

    ``x`` holds uint8 images or file paths; a file that does not decode is
    skipped, as the app skips it.
    """
    h, w = image_size
    if shuffle:  # one seeded permutation: a folder lists its images class by class
        order = np.random.default_rng(seed).permutation(len(y))
        x, y = x[order], y[order]
    ds = tf.data.Dataset.from_tensor_slices((x, y))
    if x.dtype.kind == "U":  # file paths, decoded as the app decodes them

        def read(path: bytes) -> np.ndarray:
            return load_image(os.fsdecode(path), image_size, channels)

        def read_file(path, label):
            image = tf.numpy_function(read, [path], tf.uint8)
            image.set_shape((h, w, channels))
            return image, label

        ds = ds.map(read_file, num_parallel_calls=AUTOTUNE).ignore_errors()
    else:
        ds = ds.map(
            lambda x, y: (fit_image(x, h, w, channels), y),
            num_parallel_calls=AUTOTUNE,
        )
    if cache:
        ds = ds.cache()
    if shuffle:
        ds = ds.shuffle(min(len(y), 20_000), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size)
    ds = ds.map(lambda x, y: (tf.cast(x, tf.float32), y), num_parallel_calls=AUTOTUNE)
    return ds.prefetch(AUTOTUNE)
