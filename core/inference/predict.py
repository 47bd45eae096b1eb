"""Prediction: images in, top-k classes with probabilities out.

Images are prepared exactly as in training: converted to the model's channels
and resized to its input size, as raw 0-255 values (the model rescales inside,
as every app model starts with its own Rescaling). One compiled forward pass
per batch; ``model.predict`` would add several times its cost per call.

Example:
    >>> results = predict(model, ["cat.jpg"], ["cat", "dog"], top_k=2)
    >>> results[0]  # doctest: +SKIP
    [('cat', 0.93), ('dog', 0.07)]
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from core.data.dataset import convert_image
from core.data.images import load_image, loader_channels
from core.errors import WorkbenchError
from core.inference.top_k import ranked

ImageLike = str | os.PathLike[str] | np.ndarray


def input_size(model) -> tuple[int | None, int | None, int]:
    """(height, width, channels) the model takes; None for any size."""
    shape = tuple(model.inputs[0].shape) if model.inputs else model.input_shape
    return shape[1], shape[2], int(shape[3])


def prepare_images(model, images: Sequence[ImageLike]) -> np.ndarray:
    """A float32 batch at the model's input size and channels, 0-255.

    Resizing calls the op the exported model's Resizing layer calls, with the
    layer's defaults (``core.inference.export``), so the app and the file predict
    alike; calling the op directly builds no layer per prediction.
    """
    import keras

    h, w, c = input_size(model)
    channels = loader_channels(c)
    arrays = [
        load_image(Path(i), None, channels)
        if not isinstance(i, np.ndarray)
        else convert_image(i, None, channels)
        for i in images
    ]
    if not (h and w):
        return np.stack(arrays).astype(np.float32)
    resized = [
        keras.ops.image.resize(a.astype(np.float32)[None], (h, w), "bilinear")[0]
        for a in arrays
    ]
    return np.stack([np.asarray(r) for r in resized]).astype(np.float32)


def probabilities(model, batch: np.ndarray) -> np.ndarray:
    """Class probabilities; a one-unit sigmoid head becomes two columns."""
    out = np.asarray(model(batch, training=False), dtype=np.float64)
    if out.shape[-1] == 1:
        out = np.concatenate([1 - out, out], axis=1)
    return out


def predict(
    model,
    images: Sequence[ImageLike],
    class_names: Sequence[str],
    top_k: int = 3,
) -> list[list[tuple[str, float]]]:
    """Top-k ``(class name, probability)`` per image, most likely first.

    Raises:
        WorkbenchError: ``class_names`` is not one name per class.
    """
    probs = probabilities(model, prepare_images(model, images))
    if len(class_names) != probs.shape[1]:
        raise WorkbenchError(
            f"{len(class_names)} class names for a model with {probs.shape[1]} classes"
        )
    order = ranked(probs, top_k)
    return [
        [(class_names[j], float(p[j])) for j in row]
        for p, row in zip(probs, order, strict=True)
    ]
