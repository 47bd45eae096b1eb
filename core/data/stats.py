"""Dataset statistics: counts per class and split, sizes, channels, mean/std.

Mean and standard deviation come from a seeded sample of training images,
which is within a fraction of a grey level of the full-set values and costs a
few hundred decodes instead of tens of thousands.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.data.checks import dataset_warnings
from core.data.dataset import Dataset, imbalance_ratio
from core.data.images import GRAY_MODES, BadImage


@dataclass(frozen=True)
class DatasetStats:
    """What ``dataset-info`` prints and the browser shows."""

    counts: dict[str, list[int]]
    sizes: dict[tuple[int, int], int]
    channels: dict[int, int]
    mean: tuple[float, ...]
    std: tuple[float, ...]
    imbalance: float
    sample_size: int
    warnings: tuple[str, ...] = ()  # core.data.checks.dataset_warnings


def compute_stats(dataset: Dataset, sample: int = 500, seed: int = 0) -> DatasetStats:
    """Counts for every split and per-channel mean/std (0-255) from a sample."""
    train = dataset.splits["train"]
    rng = np.random.Generator(np.random.PCG64(seed))
    picks = rng.choice(len(train), size=min(sample, len(train)), replace=False)
    pixels = []
    if train.images is not None:
        pixels = [train.images[np.sort(picks)].reshape(-1, train.images.shape[-1])]
        h, w, c = train.images.shape[1:]
        sizes = {(int(h), int(w)): len(train)}
        channels = {int(c): len(train)}
    else:
        sizes = dict(dataset.report.sizes)
        channels: dict[int, int] = {}
        for mode, n in dataset.report.modes.items():
            key = 1 if mode in GRAY_MODES else 3
            channels[key] = channels.get(key, 0) + n
        keep_channels = 1 if set(channels) == {1} else 3
        for i in picks:
            try:
                image = dataset.image("train", int(i), None, keep_channels)
            except BadImage:
                continue
            pixels.append(image.reshape(-1, keep_channels))
    stacked = np.concatenate(pixels).astype(np.float64) if pixels else np.zeros((1, 3))
    return DatasetStats(
        counts=dataset.counts(),
        sizes=sizes,
        channels=channels,
        mean=tuple(round(float(v), 2) for v in stacked.mean(axis=0)),
        std=tuple(round(float(v), 2) for v in stacked.std(axis=0)),
        imbalance=imbalance_ratio(dataset.counts()["train"]),
        sample_size=len(picks),
        warnings=tuple(dataset_warnings(dataset)),
    )
