"""Each worker's share of a split, chosen on the list of images before decoding.

TensorFlow's automatic sharding cannot split a pipeline built from a tensor of
paths by file; it falls back to every worker decoding every image and keeping
a slice. So the split itself is cut: worker ``i`` of ``n`` keeps images
``i, i + n, i + 2n, ...`` (interleaved, so a folder listed class by class
gives every worker every class). Every share has the same length, the last
``len % n`` images are left out, because workers that run out of batches at
different steps deadlock the gradient all-reduce. A file that then fails to
decode is replaced by the next one (``core.training.distributed_loop`` repeats
each worker's stream and takes a fixed number of steps) and is reported.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from core.data.dataset import Dataset
from core.errors import WorkbenchError


def worker_shard(dataset: Dataset, split: str, worker: int, workers: int) -> Dataset:
    """``dataset`` with ``split`` cut to worker ``worker``'s equal share.

    Raises:
        WorkbenchError: fewer images than workers.
    """
    part = dataset.splits[split]
    share = len(part) // workers
    if share == 0:
        raise WorkbenchError(
            f"the {split} split has {len(part)} images for {workers} workers: "
            "each worker needs at least one"
        )
    index = np.arange(worker, share * workers, workers)
    splits = {**dataset.splits, split: part.subset(index)}
    return replace(dataset, splits=splits, decode_checks={})
