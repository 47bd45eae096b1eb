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

from core.data.dataset import Dataset
from core.data.pipeline import make_tf_dataset
from core.layers import WHITENING_TRAINABLE
from core.recipe.whitening import sample_indices, whiten_first_conv
from core.spec import ModelSpec

BATCH = 256  # images per batch of the sample


def whiten(
    model: keras.Model, spec: ModelSpec, dataset: Dataset, seed: int
) -> dict[str, Any] | None:
    """Initialise ``spec``'s whitened convolution in ``model`` (built from
    ``spec``, not compiled yet) from ``dataset``'s training images; what the
    run records, or None when no layer asks for it.

    Under multi-worker training every worker passes the whole dataset, not its
    share, so all start from the same kernel.
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
    batches = make_tf_dataset(sample, "train", (h, w), c, BATCH, cache=False)
    trainable = layer.config["init"] == WHITENING_TRAINABLE
    count = whiten_first_conv(model, layer.name, batches, trainable)
    return {"layer": layer.name, "trainable": trainable, "sample_images": count}
