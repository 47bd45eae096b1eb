"""The whitening init of a model's first convolution, made when a run is prepared.

The kernel is computed (``core.recipe.whitening``, as an exported script does)
from a seeded sample of the training split, decoded as training decodes it,
and the run's record names the layer, whether it trains and the sample's size.
``core.summary`` has already refused it where it does not apply (not the first
layer with weights, a backbone model).
"""

from __future__ import annotations

from typing import Any

import keras
import tensorflow as tf

from core.data.dataset import Dataset
from core.data.pipeline import make_tf_dataset
from core.layers import WHITENING_TRAINABLE
from core.recipe.whitening import sample_indices, whiten_first_conv
from core.spec import ModelSpec

BATCH = 256  # images per batch of the sample


def whitening_batches(
    spec: ModelSpec, dataset: Dataset, seed: int
) -> tf.data.Dataset | None:
    """The seeded sample of ``dataset``'s training images that ``whiten``
    reads, or None when no layer of ``spec`` asks for it.

    Make it outside any distribution strategy's scope: a folder's pipeline
    keeps its decode check in a variable, which a strategy's scope would make a
    mirrored one, and a mirrored variable cannot be updated from the pipeline
    (NotImplementedError on the first batch, under ``mirrored`` and
    ``multi-worker``). Under multi-worker training every worker passes the
    whole dataset, not its share, so all start from the same kernel.
    """
    layer = spec.whitened
    if layer is None:
        return None
    part = dataset.splits["train"]
    pick = sample_indices(len(part), seed)
    # A dataset of its own, so the training pipeline's decode check stays its own.
    sample = Dataset(
        dataset.name,
        dataset.class_names,
        {"train": part.subset(pick)},
        report=dataset.report,
    )
    h, w, c = spec.input.shape
    return make_tf_dataset(sample, "train", (h, w), c, BATCH, cache=False)


def whiten(
    model: keras.Model, spec: ModelSpec, batches: tf.data.Dataset | None
) -> dict[str, Any] | None:
    """Initialise ``spec``'s whitened convolution in ``model`` (built from
    ``spec``, not compiled yet) from ``batches`` (``whitening_batches``); what
    the run records, or None when no layer asks for it."""
    layer = spec.whitened
    if layer is None or batches is None:
        return None
    trainable = layer.config["init"] == WHITENING_TRAINABLE
    count = whiten_first_conv(model, layer.name, batches, trainable)
    return {"layer": layer.name, "trainable": trainable, "sample_images": count}
