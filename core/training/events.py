"""How training reports outward: a listener protocol, and why runs end.

Listener methods are called on the thread that runs ``train`` (a worker thread
in the app), so a GUI adapter must forward them to its own thread (Qt signals
do). Logs are plain ``dict[str, float]``: never tensors, never the model.
"""

from __future__ import annotations

from enum import Enum
from typing import Protocol


class StopReason(str, Enum):
    """Why a run ended; recorded in the run, shown to the user."""

    COMPLETED = "completed"
    CANCELLED = "cancelled"
    EARLY_STOPPING = "early stopping"
    DIVERGED = "diverged (loss became NaN)"
    FAILED = "failed"


class TrainingListener(Protocol):
    """What ``train`` tells its caller while it runs (all optional in spirit)."""

    def on_train_begin(self, total_epochs: int, steps_per_epoch: int) -> None: ...

    def on_batch_end(self, epoch: int, batch: int, logs: dict[str, float]) -> None: ...

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None: ...

    # Optional (called only if present): transfer learning's phases. Phase 1
    # trains the head from ``epoch``; phase 2 fine-tunes the backbone from
    # ``epoch`` on, which is where a chart draws the boundary.
    def on_phase_begin(self, phase: int, epoch: int) -> None: ...

    # Optional: the seconds an epoch will take, measured on a copy of the
    # model before epoch 1. Only a listener that has it pays for the
    # measurement (several seconds of training a clone).
    def on_estimate(self, seconds_per_epoch: float, device: str) -> None: ...

    # Optional: before training, pretrained weights missing from Keras's cache
    # are downloaded; ``fraction`` is 0..1 (0 when the size is unknown).
    def on_download(self, fraction: float, message: str) -> None: ...

    # Optional: what the run does before its first batch ("building the
    # model", "measuring a few batches"). Each can take many seconds, so a
    # status line can say which instead of a bare "preparing".
    def on_stage(self, stage: str) -> None: ...


class NullListener:
    """A listener that ignores everything (scripts that only want the result)."""

    def on_train_begin(self, total_epochs: int, steps_per_epoch: int) -> None:
        return None

    def on_batch_end(self, epoch: int, batch: int, logs: dict[str, float]) -> None:
        return None

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        return None

    def on_phase_begin(self, phase: int, epoch: int) -> None:
        return None

    def on_download(self, fraction: float, message: str) -> None:
        return None

    def on_stage(self, stage: str) -> None:
        return None
