"""Patch whitening: a first convolution whose kernel comes from the data.

As airbench's first layer: the filters are the eigenvectors of the covariance
of the kernel-size patches of a sample of training images, as the layer sees
them (after the model's rescaling), each scaled by 1 / sqrt(eigenvalue + eps).
On the sample, their outputs are then uncorrelated with variance
eigenvalue / (eigenvalue + eps), about 1; ``eps`` (``EPS`` times the mean
eigenvalue, so it does not depend on the pixels' scale) damps the directions
the images hardly vary in, which would otherwise be amplified noise.

Filters come in +/- pairs, as airbench's 2x2 layer of 24 filters is 12
eigenvectors and their negatives, so a ReLU or GELU after it keeps both signs
of each direction. With F filters and patches of D = kh * kw * channels
values, the first 2p filters are the pairs of the top p = min(D, F // 2)
eigenvectors; any others keep the layer's own initialisation. The bias, when
the layer has one, centres the whitened outputs on the sample.

The app calls ``whiten_first_conv`` when it prepares a run, and an exported
script calls it the same way, on the same sample (``whitening_sample``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import keras
import numpy as np
import tensorflow as tf

SAMPLE = 5000  # images the statistics come from (airbench: 5,000)
EPS = 5e-4  # times the mean eigenvalue; airbench's 5e-4 on unit-variance images
_PATCH_VALUES = 2**22  # patch values per chunk: bounds the memory of a chunk


def sample_indices(count: int, seed: int) -> np.ndarray:
    """Which of ``count`` images the statistics come from: the first ``SAMPLE``
    of a seeded permutation, so a split sorted by class gives every class."""
    return np.random.default_rng(seed).permutation(count)[:SAMPLE]


def whitening_sample(split: tuple[Any, np.ndarray], seed: int) -> tuple[Any, Any]:
    """``sample_indices``' images of a split ``(images or paths, labels)``."""
    images, labels = split
    pick = sample_indices(len(labels), seed)
    if isinstance(images, np.ndarray):
        return images[pick], labels[pick]
    return [images[i] for i in pick], labels[pick]


def patch_moments(
    images: Iterable[tf.Tensor], kernel_size: Sequence[int], dilation: Sequence[int]
) -> tuple[np.ndarray, np.ndarray, int]:
    """Mean ``(D,)`` and covariance ``(D, D)`` of every patch a kernel of that
    size and dilation sees at stride 1 in ``images`` (batches, NHWC), and the
    number of images. Values are ordered as a Keras kernel's (row, column,
    channel)."""
    kh, kw = kernel_size
    total, outer = 0.0, 0.0
    patches_seen, count = 0, 0
    for batch in images:
        batch = tf.convert_to_tensor(batch, tf.float32)
        count += int(batch.shape[0])
        patches = tf.image.extract_patches(
            batch,
            sizes=[1, kh, kw, 1],
            strides=[1, 1, 1, 1],
            rates=[1, dilation[0], dilation[1], 1],
            padding="VALID",
        )
        flat = tf.reshape(patches, [-1, patches.shape[-1]])
        step = max(1, _PATCH_VALUES // int(flat.shape[1]))
        for start in range(0, int(flat.shape[0]), step):
            chunk = flat[start : start + step]
            total = total + tf.reduce_sum(tf.cast(chunk, tf.float64), axis=0).numpy()
            outer = (
                outer
                + tf.cast(tf.matmul(chunk, chunk, transpose_a=True), tf.float64).numpy()
            )
            patches_seen += int(chunk.shape[0])
    if not patches_seen:
        raise ValueError("no patches: the sample is empty or smaller than the kernel")
    mean = total / patches_seen
    return mean, outer / patches_seen - np.outer(mean, mean), count


def whitening_weights(
    mean: np.ndarray, covariance: np.ndarray, filters: int, eps: float = EPS
) -> tuple[np.ndarray, np.ndarray]:
    """The whitening filters ``(D, 2p)`` (top directions, then their negatives)
    and the bias ``(2p,)`` that centres their outputs."""
    values, vectors = np.linalg.eigh(covariance)  # ascending
    values, vectors = values[::-1], vectors[:, ::-1]
    pairs = min(len(values), filters // 2)
    damping = eps * max(float(values.mean()), np.finfo(np.float64).tiny)
    scaled = vectors[:, :pairs] / np.sqrt(np.maximum(values[:pairs], 0) + damping)
    kernel = np.concatenate([scaled, -scaled], axis=1)
    return kernel, -mean @ kernel


def whiten_first_conv(
    model: keras.Model,
    layer_name: str,
    images: Iterable[Any],
    trainable: bool = False,
) -> int:
    """Set ``layer_name``'s (a Conv2D) kernel to whitening filters computed on
    ``images`` (batches of images, or of ``(images, labels)``, as the model
    takes them), freeze it unless ``trainable``, and return how many images
    the statistics came from. Call it before compiling: Keras fixes what
    trains when it compiles."""
    layer = model.get_layer(layer_name)
    seen = keras.Model(model.input, layer.input)  # e.g. through the rescaling

    def inputs() -> Iterable[tf.Tensor]:
        for batch in images:
            x = batch[0] if isinstance(batch, (tuple, list)) else batch
            yield seen(x, training=False)

    mean, covariance, count = patch_moments(
        inputs(), layer.kernel_size, layer.dilation_rate
    )
    kernel, bias = whitening_weights(mean, covariance, layer.filters)
    weights = layer.get_weights()
    shape = weights[0].shape  # (kh, kw, channels, filters)
    flat = weights[0].reshape(-1, shape[-1])
    flat[:, : kernel.shape[1]] = kernel
    weights[0] = flat.reshape(shape)
    if layer.use_bias:
        weights[1][: kernel.shape[1]] = bias
    layer.set_weights(weights)
    layer.trainable = trainable
    return count
