"""Before training: will it fit in memory, and how long will an epoch take?

Memory comes from the pure-Python summary (no TensorFlow): the cached uint8
images, float32 weights, the optimizer's state (Adam keeps two slots per
weight), and one batch of activations kept for the backward pass (counted
twice: outputs and their gradients). It is an estimate, on the safe side.
Time per epoch is measured on a copy of the model over a few batches, so the
real run starts from untouched weights.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass

from core.data.dataset import Dataset
from core.spec import ModelSpec
from core.summary import readable_bytes, summarize

OPTIMIZER_SLOTS = {"adam": 2, "adamw": 2, "rmsprop": 1, "sgd": 1}


@dataclass(frozen=True)
class MemoryEstimate:
    """Bytes per part, the total, what is available, and advice if it is tight."""

    cached_data: int
    weights: int
    optimizer: int
    activations: int
    available: int

    @property
    def total(self) -> int:
        return self.cached_data + self.weights + self.optimizer + self.activations

    @property
    def fits(self) -> bool:
        return self.total < self.available * 0.8

    def advice(self) -> str:
        if self.fits:
            return ""
        tips = []
        if self.cached_data > self.total / 3:
            tips.append("turn off caching (stream from disk)")
        if self.activations > self.total / 3:
            tips.append("use a smaller batch size")
        tips.append("use a smaller image size")
        return "Probably too large for this computer's memory: " + "; ".join(tips) + "."

    def describe(self) -> str:
        parts = (
            f"data {readable_bytes(self.cached_data)}",
            f"weights {readable_bytes(self.weights)}",
            f"optimizer {readable_bytes(self.optimizer)}",
            f"activations {readable_bytes(self.activations)}",
        )
        return (
            f"about {readable_bytes(self.total)} of {readable_bytes(self.available)} "
            f"({', '.join(parts)})"
        )


def available_memory() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 8 << 30


def estimate_memory(
    spec: ModelSpec, dataset: Dataset, batch_size: int, optimizer: str = "adam"
) -> MemoryEstimate:
    """Bytes needed to train ``spec`` on ``dataset``, with no TensorFlow import."""
    summary = summarize(spec)
    h, w, c = spec.input.shape
    images = sum(len(s) for s in dataset.splits.values())
    per_sample = sum(
        math.prod(r.output_shape) for r in summary.flat_layers() if r.output_shape
    )
    per_sample += h * w * c
    return MemoryEstimate(
        cached_data=images * h * w * c,
        weights=summary.weight_bytes,
        optimizer=summary.trainable * 4 * OPTIMIZER_SLOTS.get(optimizer, 2),
        activations=2 * 4 * per_sample * batch_size,
        available=available_memory(),
    )


def seconds_per_epoch(model, batches, steps_per_epoch: int, probe: int = 4) -> float:
    """Time ``probe`` training steps on a copy of ``model`` (after one warm-up step)."""
    import keras

    copy = keras.models.clone_model(model)
    copy.compile(optimizer=type(model.optimizer).__name__.lower(), loss=model.loss)
    iterator = iter(batches.repeat())
    copy.train_on_batch(*next(iterator))  # tracing and first-call costs
    start = time.perf_counter()
    for _ in range(probe):
        copy.train_on_batch(*next(iterator))
    return (time.perf_counter() - start) / probe * steps_per_epoch
