"""Before training: will it fit in memory, and how long will an epoch take?

Memory comes from the pure-Python summary (no TensorFlow): the cached uint8
images, float32 weights, the optimizer's state (Adam keeps two slots per
weight, weight averaging one more), one batch of activations kept for the
backward pass (counted twice: outputs and their gradients), and the process
itself (``RUNTIME``). It is an estimate, on the safe side. The cached images
count only when the pipeline would cache them (the switch is on and they take
under a quarter of RAM); weights, optimizer state and activations are also
checked against a GPU's free memory when there is one.
Time per epoch is measured on a copy of the model over a few batches, so the
real run starts from untouched weights.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from core.data.dataset import Dataset
from core.data.memory import available_memory, fits_in_memory, total_memory
from core.spec import ModelSpec
from core.summary import readable_bytes, summarize

# Muon: one slot for the weights it orthogonalises, two for its AdamW ones
OPTIMIZER_SLOTS = {"adam": 2, "adamw": 2, "rmsprop": 1, "sgd": 1, "muon": 2}
# Python, TensorFlow and the input pipeline, beside the parts counted from the
# model: a run's peak RSS less those parts measured 0.77-1.0 GB (2026-12-07,
# TensorFlow 2.21: mnist-fast and mnist-strong at batch 128, cifar10-fast at
# batch 1024). Without it the estimate read 306 MB for a run that peaked at
# 1.3 GB, and 2.9 GB for one that peaked at 3.8 GB.
RUNTIME = 1 << 30


@dataclass(frozen=True)
class MemoryEstimate:
    """Bytes per part, the total, what is available, and advice if it is tight."""

    cached_data: int
    weights: int
    optimizer: int
    activations: int
    available: int
    gpu_available: int | None = None  # free bytes on the GPU; None without one
    installed: int = 0  # the computer's whole RAM; 0: unknown
    runtime: int = RUNTIME  # host RAM only: a GPU does not hold it

    @property
    def total(self) -> int:
        return self.runtime + self.cached_data + self.on_device

    @property
    def on_device(self) -> int:
        """What a GPU holds: everything but the cache, which stays in host RAM."""
        return self.weights + self.optimizer + self.activations

    @property
    def fits_ram(self) -> bool:
        return self.total < self.available * 0.8

    @property
    def fits_gpu(self) -> bool:
        return self.gpu_available is None or self.on_device < self.gpu_available * 0.9

    @property
    def fits(self) -> bool:
        return self.fits_ram and self.fits_gpu

    @property
    def beyond_machine(self) -> bool:
        """More than all the RAM, or the GPU's free memory: it cannot run here.

        ``fits`` keeps a margin against what is free now, which is a warning;
        this is the line past which training would be killed or run out.
        """
        ram = bool(self.installed) and self.total > self.installed
        gpu = self.gpu_available is not None and self.on_device > self.gpu_available
        return ram or gpu

    def advice(self, command_line: bool = False) -> str:
        """What to change; the settings named as the app's form labels them,
        or, for the command line, as the project file's entries."""
        if self.fits:
            return ""
        tips = []
        if not self.fits_ram and self.cached_data > self.total / 3:
            tips.append(
                "set training.cache_data to false (read the images from disk)"
                if command_line
                else "switch off 'Cache images in memory' (read them from disk)"
            )
        if self.activations > self.on_device / 3:
            tips.append(
                "use a smaller training.batch_size"
                if command_line
                else "use a smaller batch size"
            )
        tips.append(
            "use a smaller model.input size"
            if command_line
            else "use a smaller image size"
        )
        where = (
            "this computer's memory"
            if not self.fits_ram
            else f"the GPU's free memory ({readable_bytes(self.gpu_available or 0)})"
        )
        return f"Probably too large for {where}: " + "; ".join(tips) + "."

    def describe(self) -> str:
        parts = (
            f"data {readable_bytes(self.cached_data)}",
            f"weights {readable_bytes(self.weights)}",
            f"optimizer {readable_bytes(self.optimizer)}",
            f"activations {readable_bytes(self.activations)}",
            f"TensorFlow and Python {readable_bytes(self.runtime)}",
        )
        return (
            f"about {readable_bytes(self.total)} of {readable_bytes(self.available)} "
            f"({', '.join(parts)})"
        )


def estimate_memory(
    spec: ModelSpec,
    dataset: Dataset,
    batch_size: int,
    optimizer: str = "adam",
    cache: bool = True,
    gpu_available: int | None = None,
    averaged: bool = False,
) -> MemoryEstimate:
    """Bytes needed to train ``spec`` on ``dataset``, with no TensorFlow import.

    ``gpu_available`` is the GPU's free memory (``free_gpu_memory()``); asking
    runs ``nvidia-smi``, so a caller that refreshes on every edit asks once.
    ``averaged``: the optimizer also keeps an average of the weights (EMA).
    """
    summary = summarize(spec)
    h, w, c = spec.input.shape
    images = sum(len(s) for s in dataset.splits.values())
    per_sample = sum(
        math.prod(r.output_shape) for r in summary.flat_layers() if r.output_shape
    )
    per_sample += h * w * c
    cached = cache and fits_in_memory(images, h, w, c)
    slots = OPTIMIZER_SLOTS.get(optimizer, 2) + int(averaged)
    return MemoryEstimate(
        cached_data=images * h * w * c if cached else 0,
        weights=summary.weight_bytes,
        optimizer=summary.trainable * 4 * slots,
        activations=2 * 4 * per_sample * batch_size,
        available=available_memory(),
        gpu_available=gpu_available,
        installed=total_memory(),
    )


def seconds_per_epoch(
    model,
    batches,
    steps_per_epoch: int,
    probe: int = 4,
    validation=None,
    validation_steps: int = 0,
) -> float:
    """Time ``probe`` steps on a copy of ``model`` (after one warm-up step each).

    An epoch is the training steps plus the validation pass, so both are
    measured: leaving validation out read low wherever it is a real share of
    the epoch. The copy is compiled as ``model`` was (``core.training.compile``):
    a fresh optimizer from its config, the same loss and metrics, because
    the optimizer's update and accuracy cost a little on every step.
    """
    import keras  # here: the memory estimate needs no TensorFlow

    from core.recipe.optimizers import METRICS
    from core.training.compile import build_training_state

    copy = keras.models.clone_model(model)
    copy.compile(
        optimizer=keras.optimizers.deserialize(
            keras.optimizers.serialize(model.optimizer)
        ),
        loss=model.loss,
        metrics=list(METRICS),
    )
    build_training_state(copy, batches)  # else its first step is traced twice
    seconds = _time_steps(copy.train_on_batch, batches, probe) * steps_per_epoch
    if validation is not None and validation_steps:
        per_step = _time_steps(copy.test_on_batch, validation, probe)
        seconds += per_step * validation_steps
    return seconds


def _time_steps(step, batches, probe: int) -> float:
    """Seconds per call of ``step``, its first (tracing) call not counted."""
    iterator = iter(batches.repeat())
    step(*next(iterator))
    start = time.perf_counter()
    for _ in range(probe):
        step(*next(iterator))
    return (time.perf_counter() - start) / probe
