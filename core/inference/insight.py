"""What a layer sees: feature maps for an image, and the pattern a filter wants.

Both follow the Keras book ("visualizing intermediate activations" and
"visualizing convnet filters") and reach inner layers of nested backbones the
same way Grad-CAM does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import keras
import numpy as np
import tensorflow as tf

from core.errors import WorkbenchError
from core.inference.gradcam import forward_function, output_shape
from core.inference.predict import input_size, prepare_images
from core.tiling import tile


class Flag(Protocol):
    """What ``cancel`` needs to be: a ``threading.Event`` will do."""

    def is_set(self) -> bool: ...


def spatial_layer_names(model: keras.Model, prefix: str = "") -> list[str]:
    """Every layer with 2-D feature maps, in order, nested ones as ``backbone/layer``.

    These are the layers whose activations can be shown as a grid.
    """
    names: list[str] = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            names += spatial_layer_names(layer, f"{prefix}{layer.name}/")
        elif not isinstance(layer, keras.layers.InputLayer):
            shape = output_shape(layer)
            if shape is not None and len(shape) == 4:
                names.append(prefix + layer.name)
    return names


def channel_count(model: keras.Model, layer: str) -> int:
    """Output channels of ``layer`` (``backbone/layer`` for a nested one)."""
    target = model
    for part in layer.split("/"):
        target = target.get_layer(part)
    shape = output_shape(target)
    return int(shape[-1]) if shape else 1


def feature_maps(model: keras.Model, image: np.ndarray, layer: str) -> np.ndarray:
    """``layer``'s output for ``image``: float32 HxWxC (C feature maps)."""
    forward = forward_function(model, layer)
    activation, _ = forward(tf.convert_to_tensor(prepare_images(model, [image])))
    maps = np.asarray(activation, dtype=np.float32)[0]
    if maps.ndim != 3:
        raise WorkbenchError(
            f"layer {layer!r} has no 2-D feature maps (output shape {maps.shape})"
        )
    return maps


def tile_maps(
    maps: np.ndarray,
    start: int = 0,
    count: int | None = None,
    columns: int = 8,
    gap: int = 1,
) -> np.ndarray:
    """Channels ``start .. start+count`` of HxWxC maps, tiled as one uint8 image.

    Each map is scaled to its own range, so weak and strong channels both show;
    gaps are white.
    """
    h, w, channels = maps.shape
    chosen = range(start, channels if count is None else min(channels, start + count))
    if not chosen:
        raise WorkbenchError(f"no channels from {start}: the layer has {channels}")
    scaled = np.zeros((len(chosen), h, w), np.uint8)
    for i, k in enumerate(chosen):
        m = maps[..., k]
        span = m.max() - m.min()
        if span > 0:
            scaled[i] = (m - m.min()) / span * 255
    return tile(scaled, min(columns, len(chosen)), gap)


def activation_grid(
    model: keras.Model,
    image: np.ndarray,
    layer: str,
    columns: int = 8,
    gap: int = 1,
    start: int = 0,
    count: int | None = None,
) -> np.ndarray:
    """Channels of ``layer``'s output for ``image`` (all by default), tiled as uint8."""
    return tile_maps(feature_maps(model, image, layer), start, count, columns, gap)


def filter_pattern(
    model: keras.Model,
    layer: str,
    filter_index: int,
    steps: int = 30,
    learning_rate: float = 10.0,
    seed: int = 0,
    progress: Callable[[float], None] | None = None,
    cancel: Flag | None = None,
) -> np.ndarray | None:
    """The input that most excites one filter, by gradient ascent (uint8 HxWxC).

    Starts from grey plus a little noise and follows the gradient of the filter's
    mean activation; the border is ignored, as in the Keras book.
    ``progress(fraction)`` is called after every step (from the calling thread);
    when ``cancel.is_set()`` turns true the ascent stops and None is returned.
    """
    h, w, c = input_size(model)
    h, w = h or 128, w or 128
    forward = forward_function(model, layer)
    channels = forward(tf.zeros((1, h, w, c)))[0].shape[-1]
    if not 0 <= filter_index < channels:
        raise WorkbenchError(
            f"layer {layer!r} has {channels} filters: choose 0 to {channels - 1}"
        )
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

    for k in range(steps):
        if cancel is not None and cancel.is_set():
            return None
        step()
        if progress is not None:
            progress((k + 1) / steps)
    return np.clip(np.rint(image.numpy()[0]), 0, 255).astype(np.uint8)


def filter_response(
    model: keras.Model, layer: str, filter_index: int, image: np.ndarray
) -> float:
    """Mean activation of one filter for ``image`` (used to check the ascent)."""
    forward = forward_function(model, layer)
    activation, _ = forward(tf.convert_to_tensor(image[None].astype("float32")))
    return float(np.asarray(activation)[0, 2:-2, 2:-2, filter_index].mean())
