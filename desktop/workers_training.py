"""TrainingBridge: a core TrainingListener whose calls become Qt signals.

``run_session`` calls its listener on the worker thread. The bridge lives on
the GUI thread, so each signal it emits from the worker is queued to the GUI
thread, where slots may touch widgets. Metrics are copied into plain dicts:
never a tensor or the model across threads.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, Signal


class TrainingBridge(QObject):
    """Listener calls (worker thread) re-emitted as signals (GUI thread)."""

    estimated = Signal(float, str)  # seconds per epoch, device
    began = Signal(int, int)  # total epochs, steps per epoch
    batch_ended = Signal(int, int, object)
    epoch_ended = Signal(int, object)
    phase_began = Signal(int, int)  # phase (1 or 2), first epoch (0-based)
    downloading = Signal(float, str)  # fraction 0..1, what and how much
    stage = Signal(str)  # what the run does before its first batch
    _last_download = 0.0

    def on_estimate(self, seconds_per_epoch: float, device: str) -> None:
        self.estimated.emit(seconds_per_epoch, device)

    def on_train_begin(self, total_epochs: int, steps_per_epoch: int) -> None:
        self.began.emit(total_epochs, steps_per_epoch)

    def on_batch_end(self, epoch: int, batch: int, logs: dict[str, float]) -> None:
        self.batch_ended.emit(epoch, batch, dict(logs))

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        self.epoch_ended.emit(epoch, dict(logs))

    def on_phase_begin(self, phase: int, epoch: int) -> None:
        self.phase_began.emit(phase, epoch)

    def on_stage(self, stage: str) -> None:
        self.stage.emit(stage)

    def on_download(self, fraction: float, message: str) -> None:
        # Called per 64 KiB chunk: ten updates a second are plenty for a bar.
        now = time.monotonic()
        if now - self._last_download >= 0.1 or fraction >= 1.0:
            self._last_download = now
            self.downloading.emit(fraction, message)
