"""Test-time augmentation: a model's probabilities averaged over views of each image.

The views, by mode (each view costs one more pass of the model):

- ``none``: the image alone; the model is used as it is (1 pass).
- ``flip``: the image and its mirror image, left to right (2 passes). The
  largest single gain of the fast CIFAR-10 recipes (airbench, about +0.5
  point) for a model trained with horizontal flips.
- ``flip_shifts``: those two and the image moved 2 pixels down, up, right and
  left (6 passes), the uncovered edge filled with its mirror image as
  ``RandomTranslation``'s ``fill_mode="reflect"`` fills it (d c b a | a b c d).
  airbench's 95% and 96% recipes add such translations to the flip.

The views are made of Keras built-in layers only, exact in float32: the flip
is a ``Permute`` putting the width last, a non-trainable ``Dense`` whose
kernel is the anti-identity (each output column copies one input column:
``x * 1 + 0 * others`` is exact for finite pixels) and a ``Permute`` back; a
shift is ``Cropping2D`` strips joined by ``Concatenate``. So a model carrying
them saves to ``.keras`` and loads with plain ``keras.models.load_model``,
``safe_mode`` on: no ``Lambda``, no custom class.

How the views' outputs combine is fixed here, once (:func:`average_views`):
each view's output, when it is logits, is divided by an optional temperature
(calibration) and turned into probabilities (softmax; sigmoid for one unit);
the probabilities, never the logits, are averaged over the views.

This module is part of the recipe runtime shipped beside exported scripts:
it imports nothing of the app.

Example:
    >>> tested = tta_model(model, "flip")  # doctest: +SKIP
    >>> tested.predict(images)  # the mean of model(images) and model(mirrored)
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np

TTA_MODES = ("none", "flip", "flip_shifts")
SHIFT = 2  # pixels each shifted view moves
# Every view layer computes in float32, whatever the global precision policy:
# a float16 view would round the pixels it copies.
_DTYPE = "float32"
VIEWS: dict[str, tuple[str, ...]] = {
    "none": ("identity",),
    "flip": ("identity", "flip"),
    "flip_shifts": ("identity", "flip", "down", "up", "right", "left"),
}
# The axis each shifted view moves its image along (1: rows, 2: columns), and by.
_MOVES = {
    "down": (1, SHIFT),
    "up": (1, -SHIFT),
    "right": (2, SHIFT),
    "left": (2, -SHIFT),
}


def view_count(mode: str) -> int:
    """Passes of the model per image: what TTA multiplies inference time by."""
    return len(VIEWS[mode])


def image_views(images: keras.KerasTensor, mode: str) -> list[keras.KerasTensor]:
    """The views of a symbolic ``(batch, height, width, channels)`` input.

    Raises:
        ValueError: an unknown mode, or an input whose height or width is not
            fixed (the flip's kernel is as wide as the image) or too small
            to move by ``SHIFT`` pixels.
    """
    if mode not in VIEWS:
        raise ValueError(f"unknown test-time augmentation {mode!r}: {TTA_MODES}")
    _, h, w, _ = images.shape
    if not (h and w):
        raise ValueError(
            "test-time augmentation needs a model of fixed input size; this one "
            "takes any size (an exported model)"
        )
    if mode == "flip_shifts" and min(h, w) <= SHIFT:
        raise ValueError(
            f"test-time augmentation's {SHIFT}-pixel shifts need images larger "
            f"than {SHIFT}x{SHIFT}, not {h}x{w}"
        )
    views = []
    for view in VIEWS[mode]:
        if view == "identity":
            views.append(images)
        elif view == "flip":
            views.append(_mirrored(images, w))
        else:
            axis, by = _MOVES[view]
            size = h if axis == 1 else w
            views.append(_moved(images, axis, by, size, f"tta_{view}"))
    return views


def _mirrored(images: keras.KerasTensor, width: int) -> keras.KerasTensor:
    """``images`` mirrored left to right, exactly, with built-in layers."""
    columns_last = keras.layers.Permute(
        (1, 3, 2), dtype=_DTYPE, name="tta_flip_columns_last"
    )
    flip = keras.layers.Dense(
        width, use_bias=False, trainable=False, dtype=_DTYPE, name="tta_flip"
    )
    back = keras.layers.Permute((1, 3, 2), dtype=_DTYPE, name="tta_flip_columns_back")
    x = columns_last(images)
    x = flip(x)
    flip.set_weights([np.eye(width, dtype=np.float32)[::-1]])
    return back(x)


def _moved(
    x: keras.KerasTensor, axis: int, by: int, size: int, name: str
) -> keras.KerasTensor:
    """Move ``by`` along ``axis`` (1: rows, 2: columns); the gap mirrors the edge."""

    def strip(start: int, stop: int) -> keras.KerasTensor:
        cut = (start, size - stop)
        cropping = (cut, (0, 0)) if axis == 1 else ((0, 0), cut)
        return keras.layers.Cropping2D(
            cropping, dtype=_DTYPE, name=f"{name}_{start}_{stop}"
        )(x)

    s = abs(by)
    if by > 0:  # the first s rows, mirrored, above the rest
        parts = [strip(i, i + 1) for i in reversed(range(s))] + [strip(0, size - s)]
    else:  # the rest, then the last s rows mirrored
        parts = [strip(s, size)] + [
            strip(i, i + 1) for i in range(size - 1, size - 1 - s, -1)
        ]
    return keras.layers.Concatenate(axis=axis, dtype=_DTYPE, name=name)(parts)


def average_views(
    outputs: Sequence[keras.KerasTensor],
    activation: str | None = None,
    temperature: float | None = None,
) -> keras.KerasTensor:
    """The mean of the views' probabilities: TTA's one way of combining views.

    ``outputs`` are the model's outputs for each view. ``activation``
    (``"softmax"``, or ``"sigmoid"`` for one unit) says they are logits and
    turns each into probabilities; None says they are probabilities already.
    A calibration ``temperature`` divides each view's logits before its
    activation, so it needs logits. A single view with nothing to apply is
    returned as it is.

    Raises:
        ValueError: a temperature for outputs that are not logits.
    """
    if temperature is not None and activation is None:
        raise ValueError("a temperature divides logits: give the views' logits")
    probabilities = []
    scale = None
    if temperature is not None:
        scale = keras.layers.Rescaling(
            1 / temperature, dtype=_DTYPE, name="tta_temperature"
        )
    to_probabilities = None
    if activation is not None:
        to_probabilities = keras.layers.Activation(
            activation, dtype=_DTYPE, name="tta_probabilities"
        )
    for out in outputs:
        if scale is not None:
            out = scale(out)
        if to_probabilities is not None:
            out = to_probabilities(out)
        probabilities.append(out)
    if len(probabilities) == 1:
        return probabilities[0]
    return keras.layers.Average(dtype=_DTYPE, name="tta_average")(probabilities)


def tta_model(
    model: keras.Model,
    mode: str,
    activation: str | None = None,
    temperature: float | None = None,
    input_shape: tuple[int, int, int] | None = None,
) -> keras.Model:
    """``model`` behind ``mode``'s views, outputting their mean probabilities.

    ``model`` itself for ``none`` with nothing to apply, so the default
    predicts exactly as before. ``activation`` and ``temperature`` are
    :func:`average_views`'s. The inner model runs with ``training=False``
    (Dropout off), as the app predicts. ``input_shape`` (height, width,
    channels) fixes the size of the views for a model that takes any size.

    Raises:
        ValueError: as :func:`image_views` and :func:`average_views` do.
    """
    if mode == "none" and activation is None and temperature is None:
        return model
    inputs = keras.Input(input_shape or model.inputs[0].shape[1:], name="image")
    views = image_views(inputs, mode)
    outputs = [model(view, training=False) for view in views]
    averaged = average_views(outputs, activation, temperature)
    return keras.Model(inputs, averaged, name=f"{model.name}_tta_{mode}")
