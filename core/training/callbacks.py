"""ListenerCallback: Keras's callback contract, bridged to a TrainingListener.

Two jobs, both after every batch: honour a cancel request (after validation
batches too), and stop a run whose loss became NaN. Both *raise* rather than
set ``model.stop_training``, because Keras finishes the epoch's validation
pass and calls every ``on_epoch_end`` after ``stop_training``; a partial epoch
would then be judged by early stopping and checkpointing as if it were
complete. Batch logs are rate-limited (Orange's habit) so a fast model does
not flood the GUI; epoch logs always go through.
"""

from __future__ import annotations

import math
import threading
import time
from typing import Any

import keras

from core.training.events import TrainingListener


class TrainingCancelled(Exception):
    """Raised inside ``fit`` to stop after the current batch."""


class Diverged(Exception):
    """The loss became NaN or infinite at ``epoch``/``batch``."""

    def __init__(self, epoch: int, batch: int) -> None:
        super().__init__(
            f"the loss became NaN at epoch {epoch + 1}, batch {batch + 1}: "
            "try a lower learning rate (e.g. 10x smaller) or check the data"
        )
        self.epoch = epoch
        self.batch = batch


class ListenerCallback(keras.callbacks.Callback):
    """Forwards logs to ``listener``; raises on cancel or a non-finite loss.

    Example:
        >>> cb = ListenerCallback(NullListener(), threading.Event(), epochs=3)
    """

    def __init__(
        self,
        listener: TrainingListener,
        cancel: threading.Event,
        epochs: int,
        min_interval_s: float = 0.05,
        steps: int = 0,
    ) -> None:
        super().__init__()
        self.listener = listener
        self.cancel = cancel
        self.epochs = epochs
        self.min_interval_s = min_interval_s
        self.steps = steps  # used when Keras cannot know an epoch's length
        self.epoch = 0
        self.history: dict[str, list[float]] = {}
        self.epochs_done: list[int] = []  # the epoch number of each history row
        self._last_sent = 0.0
        self._begun = False

    def on_train_begin(self, logs: dict | None = None) -> None:
        # Once per run: phase 2's ``fit`` continues the same run and chart.
        if self._begun:
            return
        self._begun = True
        steps = self.params.get("steps") or self.steps
        self.listener.on_train_begin(self.epochs, int(steps))

    def phase_begins(self, phase: int, epoch: int) -> None:
        """Tell the listener a training phase starts at ``epoch`` (0-based).

        ``on_phase_begin`` is optional, so listeners written before
        transfer learning keep working unchanged.
        """
        hook = getattr(self.listener, "on_phase_begin", None)
        if hook is not None:
            hook(phase, epoch)

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch = epoch
        self._last_sent = 0.0  # a new epoch's first batch always reaches the GUI

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        # Runs after every batch and Keras waits for it, so the common path is
        # one Event check and one float; the full logs are converted only when
        # they are forwarded (bench/training_overhead.py measures the cost).
        if self.cancel.is_set():
            raise TrainingCancelled
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            raise Diverged(self.epoch, batch)
        now = time.monotonic()
        if now - self._last_sent >= self.min_interval_s:
            self._last_sent = now
            self.listener.on_batch_end(self.epoch, batch, _floats(logs))

    def on_test_batch_end(self, batch: int, logs: dict | None = None) -> None:
        # A Stop during the validation pass takes effect now too; that epoch has
        # not been judged yet, so like a partial one it is not recorded.
        if self.cancel.is_set():
            raise TrainingCancelled

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        values = _floats(logs)
        for key, value in values.items():
            self.history.setdefault(key, []).append(value)
        self.epochs_done.append(epoch)
        self.listener.on_epoch_end(epoch, values)


def _floats(logs: dict | None) -> dict[str, float]:
    return {k: float(v) for k, v in (logs or {}).items()}


class _ResumableCounters:
    """A Keras callback whose counters can start from a stopped run's.

    Keras resets them in ``on_train_begin``; a state given to ``restore`` is
    put back right after that, once, so a resumed run waits as long as an
    uninterrupted one would have.
    """

    COUNTERS: tuple[str, ...] = ("wait", "best")
    _pending: dict[str, Any] | None = None

    def restore(self, state: dict[str, Any]) -> None:
        self._pending = state

    def on_train_begin(self, logs: dict | None = None) -> None:
        super().on_train_begin(logs)  # type: ignore[misc]
        if self._pending:
            for name in self.COUNTERS:
                if name in self._pending:
                    setattr(self, name, self._pending[name])
            self._pending = None

    def counters(self) -> dict[str, Any]:
        """The counters as JSON-ready numbers."""
        out: dict[str, Any] = {}
        for name in self.COUNTERS:
            value = getattr(self, name)
            out[name] = None if value is None else float(value)
        out["wait"] = int(out["wait"])
        return out


class ResumableEarlyStopping(_ResumableCounters, keras.callbacks.EarlyStopping):
    """EarlyStopping whose wait count and best value survive a resume."""


class ResumableReduceLROnPlateau(_ResumableCounters, keras.callbacks.ReduceLROnPlateau):
    """ReduceLROnPlateau whose wait, cooldown and best value survive a resume.

    The reduced rate itself lives in the optimizer, which BackupAndRestore
    brings back.
    """

    COUNTERS = ("wait", "best", "cooldown_counter")
