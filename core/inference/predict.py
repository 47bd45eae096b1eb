"""Prediction: images in, top-k classes with probabilities out, a batch at a time.

Images are prepared exactly as in training: converted to the model's channels
and resized to its input size, as raw 0-255 values (the model rescales inside,
as every app model starts with its own Rescaling). The model runs once per
batch of up to ``BATCH_SIZE`` images, as a traced graph: called eagerly once
per image, a folder took 4x as long as plain Keras (``bench/predict_folder.py``).
Files are decoded by a small thread pool, ahead of the batch the model is
working on, with the one decoder training uses (EXIF rotation, CMYK,
palettes, transparency). With test-time augmentation (``tta``,
``core.recipe.tta``) each image's probabilities are the mean over its views,
computed by one wrapped model (:func:`averaged_model`), the graph an exported
TTA model holds.

Example:
    >>> results = predict(model, ["cat.jpg"], ["cat", "dog"], top_k=2)
    >>> results[0]  # doctest: +SKIP
    [('cat', 0.93), ('dog', 0.07)]
"""

from __future__ import annotations

import os
import weakref
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple

import numpy as np

from core.data.dataset import convert_image
from core.data.images import BadImage, load_image, loader_channels
from core.errors import WorkbenchError
from core.inference.output_activation import OutputActivation, output_activation
from core.temperature import calibrated_model
from core.top_k import ranked
from core.tta import with_tta

ImageLike = str | os.PathLike[str] | np.ndarray
Ranked = list[tuple[str, float]]
BATCH_SIZE = 64
_FORWARD: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
# Decoding threads: Pillow releases the GIL while it decodes, and more threads
# than this only queue up behind the model on a small machine.
DECODE_THREADS = min(4, os.cpu_count() or 1)


class FilePrediction(NamedTuple):
    """One file's ranked classes, or why it could not be predicted."""

    path: Path
    ranked: Ranked | None
    problem: str | None = None


def input_size(model) -> tuple[int | None, int | None, int]:
    """(height, width, channels) the model takes; None for any size."""
    shape = tuple(model.inputs[0].shape) if model.inputs else model.input_shape
    return shape[1], shape[2], int(shape[3])


def prepare_images(model, images: Sequence[ImageLike]) -> np.ndarray:
    """A float32 batch at the model's input size and channels, 0-255.

    The images must share one size when the model takes any size (an exported
    one resizes inside); :func:`predict_arrays` groups them so.
    """
    channels = loader_channels(input_size(model)[2])
    return _resized(model, [_as_array(i, channels) for i in images])


def _as_array(image: ImageLike, channels: int) -> np.ndarray:
    if isinstance(image, np.ndarray):
        return convert_image(image, None, channels)
    return load_image(Path(image), None, channels)


def _resized(model, arrays: Sequence[np.ndarray]) -> np.ndarray:
    """``arrays`` (uint8) stacked as float32 at the model's input size.

    Resizing calls the op the exported model's Resizing layer calls, with the
    layer's defaults (``core.inference.export``), so the app and the file predict
    alike; one call per image size in the batch, and no layer is built.
    """
    import keras

    h, w, _ = input_size(model)
    if not (h and w):
        return np.stack(arrays).astype(np.float32)
    batch = np.empty((len(arrays), h, w, arrays[0].shape[-1]), np.float32)
    for indices in _same_shape(arrays):
        group = np.stack([arrays[i] for i in indices]).astype(np.float32)
        batch[indices] = np.asarray(keras.ops.image.resize(group, (h, w), "bilinear"))
    return batch


def _same_shape(arrays: Sequence[np.ndarray]) -> list[list[int]]:
    """Indices of ``arrays`` grouped by shape, in order of first appearance."""
    groups: dict[tuple[int, ...], list[int]] = {}
    for i, a in enumerate(arrays):
        groups.setdefault(a.shape, []).append(i)
    return list(groups.values())


def probabilities(
    model, batch: np.ndarray, activation: OutputActivation | None = None
) -> np.ndarray:
    """Class probabilities for one batch, in one call of the model.

    ``activation`` (``core.inference.output_activation``) turns logits into
    probabilities; it is decided here when not given. A one-unit sigmoid head
    becomes two columns.
    """
    activation = activation or output_activation(model)
    out = activation(np.asarray(forward_pass(model)(batch), dtype=np.float64))
    if out.shape[-1] == 1:
        out = np.concatenate([1 - out, out], axis=1)
    return out


def forward_pass(model):
    """``model``'s inference call traced once into a graph, kept while it lives.

    One trace for every batch size (and image size, for a model that takes
    any): after it, each call costs a fraction of an eager one, and less than
    ``model.predict``, which builds a data pipeline per call
    (``bench/predict_folder.py``).
    """
    import tensorflow as tf

    forward = _FORWARD.get(model)
    if forward is None:
        h, w, c = input_size(model)
        spec = tf.TensorSpec((None, h, w, c), tf.float32)
        held = weakref.ref(model)  # the cache must not keep the model alive
        forward = tf.function(
            lambda x: held()(x, training=False), input_signature=[spec]
        )
        _FORWARD[model] = forward
    return forward


def predict_arrays(
    model, arrays: Sequence[np.ndarray], activation: OutputActivation
) -> np.ndarray:
    """Probabilities for decoded uint8 images (at most a batch of them), in order.

    A model of fixed input size gets them in one call; one that takes any
    size gets one call per image size.
    """
    h, w, _ = input_size(model)
    groups = [list(range(len(arrays)))] if h and w else _same_shape(arrays)
    rows: list[np.ndarray | None] = [None] * len(arrays)
    for indices in groups:
        batch = _resized(model, [arrays[i] for i in indices])
        for i, p in zip(indices, probabilities(model, batch, activation), strict=True):
            rows[i] = p
    return np.stack(rows)


def averaged_model(
    model, tta: str, activation: OutputActivation, temperature: float | None = None
) -> tuple[object, OutputActivation]:
    """``model`` averaged over ``tta``'s views, and the activation left to apply.

    Logits become probabilities inside the wrapper, view by view, before the
    mean (``core.recipe.tta.average_views``), so nothing is left to apply
    then. ``temperature`` (a run's calibration, ``core.temperature``) divides
    each view's logits first. ``none`` with no temperature returns both
    unchanged. Build it once per model and mode: each new wrapper is traced
    again (:func:`forward_pass`).

    Raises:
        WorkbenchError: a model the views cannot wrap (one taking any size),
            or whose logits a temperature cannot reach.
    """
    if temperature is not None:
        wrapped = calibrated_model(model, temperature, tta)
        return wrapped, OutputActivation(None, activation.decided_by)
    if tta == "none":
        return model, activation
    wrapped = with_tta(model, tta, activation.applied)
    return wrapped, OutputActivation(None, activation.decided_by)


def predict(
    model,
    images: Sequence[ImageLike],
    class_names: Sequence[str],
    top_k: int = 3,
    activation: OutputActivation | None = None,
    tta: str = "none",
) -> list[Ranked]:
    """Top-k ``(class name, probability)`` per image, most likely first.

    Raises:
        WorkbenchError: ``class_names`` is not one name per class, or a
            ``tta`` the model cannot take.
        BadImage: a file cannot be decoded.
    """
    activation = activation or output_activation(model)
    model, activation = averaged_model(model, tta, activation)
    results: list[Ranked] = []
    for start in range(0, len(images), BATCH_SIZE):
        chunk = images[start : start + BATCH_SIZE]
        probs = image_probabilities(model, chunk, activation)
        results += ranked_names(probs, class_names, top_k)
    return results


def image_probabilities(
    model, images: Sequence[ImageLike], activation: OutputActivation
) -> np.ndarray:
    """Probabilities for a batch of images or files, one row each, in order.

    Raises:
        BadImage: a file cannot be decoded.
    """
    channels = loader_channels(input_size(model)[2])
    return predict_arrays(model, [_as_array(i, channels) for i in images], activation)


def predict_files(
    model,
    paths: Iterable[Path],
    class_names: Sequence[str],
    top_k: int,
    activation: OutputActivation,
    tta: str = "none",
) -> Iterator[FilePrediction]:
    """Each file's prediction, in order, a batch at a time; a bad file is one result.

    The files are decoded ahead by a thread pool while the model runs.

    Raises:
        WorkbenchError: a ``tta`` the model cannot take, before any file.
    """
    model, activation = averaged_model(model, tta, activation)
    channels = loader_channels(input_size(model)[2])
    batch: list[tuple[Path, np.ndarray]] = []
    for path, decoded in _decoded(paths, channels):
        if isinstance(decoded, BadImage):
            yield from _predicted(model, batch, class_names, top_k, activation)
            batch = []
            yield FilePrediction(path, None, str(decoded))
            continue
        batch.append((path, decoded))
        if len(batch) == BATCH_SIZE:
            yield from _predicted(model, batch, class_names, top_k, activation)
            batch = []
    yield from _predicted(model, batch, class_names, top_k, activation)


def _predicted(
    model,
    batch: list[tuple[Path, np.ndarray]],
    class_names: Sequence[str],
    top_k: int,
    activation: OutputActivation,
) -> Iterator[FilePrediction]:
    if not batch:
        return
    probs = predict_arrays(model, [a for _, a in batch], activation)
    rows = ranked_names(probs, class_names, top_k)
    for (path, _), row in zip(batch, rows, strict=True):
        yield FilePrediction(path, row)


def _decoded(
    paths: Iterable[Path], channels: int
) -> Iterator[tuple[Path, np.ndarray | BadImage]]:
    """``(path, image or the BadImage it raised)`` in order, decoded ahead.

    At most two batches are decoded ahead, so a folder of large photos is never
    held in memory whole.
    """

    def decode(path: Path) -> np.ndarray | BadImage:
        try:
            return load_image(path, None, channels)
        except BadImage as exc:
            return exc

    queued: deque[tuple[Path, Future]] = deque()
    files = iter(paths)
    with ThreadPoolExecutor(DECODE_THREADS, thread_name_prefix="decode") as pool:
        for path in files:
            queued.append((path, pool.submit(decode, path)))
            if len(queued) >= 2 * BATCH_SIZE:
                done, future = queued.popleft()
                yield done, future.result()
        while queued:
            done, future = queued.popleft()
            yield done, future.result()


def ranked_names(
    probs: np.ndarray, class_names: Sequence[str], top_k: int
) -> list[Ranked]:
    """Each row's top-k ``(class name, probability)``, most likely first.

    Raises:
        WorkbenchError: ``class_names`` is not one name per class.
    """
    if len(class_names) != probs.shape[1]:
        raise WorkbenchError(
            f"{len(class_names)} class names for a model with {probs.shape[1]} classes"
        )
    order = ranked(probs, top_k)
    return [
        [(class_names[j], float(p[j])) for j in row]
        for p, row in zip(probs, order, strict=True)
    ]
