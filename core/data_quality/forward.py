"""One pass of a model over a split: probabilities, embeddings and pixel signatures.

The run's model is read through a second output at its head's input, the
penultimate layer (``embedding_model``), so one forward pass gives both the
probabilities and the embeddings; the batches the pipeline decoded for it
also give the pixel signatures (``core.data_quality.pixel_hash``), at the
model's input size, so no image is decoded twice. Images go through the
run's own pipeline (``core.data.pipeline.make_tf_dataset``: same resize,
channels and undecodable-file handling), unshuffled and uncached.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import keras
import numpy as np

from core.data.dataset import Dataset
from core.data.pipeline import decoded_indices, make_tf_dataset
from core.data_quality.duplicates import compact
from core.data_quality.pixel_hash import signatures
from core.training.keras_warnings import no_false_end_of_data_warning

Tick = Callable[[float], None]


@dataclass
class Pass:
    """What one pass found, per image it could decode (``indices`` in the split);
    the embeddings as the duplicate search keeps them (``duplicates.compact``)."""

    indices: np.ndarray
    probabilities: np.ndarray
    embeddings: np.ndarray | None = None
    hashes: np.ndarray | None = None
    thumbs: np.ndarray | None = None


def embedding_model(model: keras.Model) -> keras.Model:
    """``model`` with two outputs: the head's input (flattened) and the head's output.

    The head is the last Dense layer (``core.spec.HeadSpec``); what feeds it is
    the penultimate layer's output, whatever the stack (a Dropout before the
    head is the identity at inference).
    """
    dense = [x for x in model.layers if isinstance(x, keras.layers.Dense)]
    head = dense[-1] if dense else None
    features = head.input if head is not None else model.layers[-2].output
    if len(features.shape) > 2:
        features = keras.layers.Flatten()(features)
    return keras.Model(model.inputs, [features, model.outputs[0]])


def forward(
    model: keras.Model,
    dataset: Dataset,
    split: str,
    batch_size: int,
    tick: Tick | None = None,
) -> Pass:
    """``model`` over ``split``; with two outputs (``embedding_model``) the
    embeddings and pixel signatures too, with one the probabilities only."""
    _, h, w, c = model.inputs[0].shape
    total = len(dataset.splits[split])
    pipeline = make_tf_dataset(dataset, split, (h, w), c, batch_size, cache=False)
    probabilities, embeddings, hashes, thumbs = [], [], [], []
    done = 0
    with no_false_end_of_data_warning():
        for images, _ in pipeline:
            out = model.predict_on_batch(images)
            if isinstance(out, (list, tuple)):
                embeddings.append(compact(np.asarray(out[0], np.float32)))
                probabilities.append(np.asarray(out[1], np.float32))
                signed = signatures(images.numpy())
                hashes.append(signed[0])
                thumbs.append(signed[1])
            else:
                probabilities.append(np.asarray(out, np.float32))
            done += len(images)
            if tick is not None:
                tick(done / max(total, 1))
    order = decoded_indices(dataset, split)
    indices = np.arange(done) if order is None else np.asarray(order, np.int64)
    units = int(model.outputs[-1].shape[-1])
    return Pass(
        indices,
        _stack(probabilities, (0, units)),
        _stack(embeddings, (0, 0)) if embeddings else None,
        np.concatenate(hashes) if hashes else None,
        _stack(thumbs, (0, 64)) if thumbs else None,
    )


def _stack(parts: list[np.ndarray], empty: tuple[int, int]) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros(empty, np.float32)
