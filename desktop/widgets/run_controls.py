"""RunControls: Start, Stop and Resume, the estimate, the progress bar and status.

What a run is doing, in words and a bar: preparing, downloading, the epoch
and batch with the time left, how it ended or why Start would be refused. The
page decides what happens on a click; this widget only shows.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from core.training.events import StopReason
from desktop import colours

if TYPE_CHECKING:  # hints only: the page imports training code when it runs
    from core.training.engine import TrainingResult

NO_DATA = "Load a dataset on the Data page, then start."


class RunControls(QWidget):
    """The messages under the settings, and the buttons (``buttons``) below all."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.start_button = QPushButton("Start training")
        self.start_button.setShortcut("Ctrl+Return")
        self.start_button.setToolTip("Train on the loaded dataset (Ctrl+Return)")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Stop after the current batch (Esc)")
        self.stop_button.setShortcut("Esc")
        self.resume_button = QPushButton("Resume")
        self.resume_button.setToolTip(
            "Continue the stopped run from its last completed epoch, history kept"
        )
        self.progress = QProgressBar()
        self.status = QLabel(NO_DATA)
        self.status.setWordWrap(True)
        self.estimate = QLabel()
        self.estimate.setWordWrap(True)
        self.estimate.setObjectName("trainingEstimate")
        # The status shows a pre-flight refusal, or what Start waits for:
        # "Ready" replaces either.
        self._refused = False
        self._steps = 1
        self._total = 1
        self._started_at = 0.0
        # The buttons are a row of their own, which the page puts last: above
        # the messages, a status that wrapped to more lines moved them, and a
        # click meant for Start missed it.
        self.buttons = QWidget()
        row = QHBoxLayout(self.buttons)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.start_button)
        row.addWidget(self.stop_button)
        row.addWidget(self.resume_button)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.estimate)
        column.addWidget(self.progress)
        column.addWidget(self.status)

    def set_running(self, running: bool, idle: bool, resumable: bool) -> None:
        """``idle``: no run and no evaluation; ``resumable``: a run just stopped."""
        self.start_button.setEnabled(idle)
        self.stop_button.setEnabled(running)
        self.resume_button.setEnabled(idle and resumable)

    # ------------------------------------------------------- before a run
    def show_refusal(self, problem: str) -> None:
        self._refused = True
        self.status.setText(colours.span(problem, "error"))

    def show_waiting(self, text: str) -> None:
        """What Start waits for (the data loading), plainly; "Ready" replaces it."""
        self._refused = True
        self.status.setText(text)

    def show_ready(self, text: str) -> None:
        """Say Start would go ahead, replacing a refusal or the no-data hint only."""
        if self._refused or self.status.text() == NO_DATA:
            self._refused = False
            self.status.setText(text)

    def show_estimate(self, text: str) -> None:
        self.estimate.setText(text)

    # ---------------------------------------------------------- during one
    def preparing(self) -> None:
        self.status.setText("Preparing…")
        self.progress.setRange(0, 0)

    def show_stage(self, stage: str) -> None:
        """What the run does before its first batch, from its listener."""
        self.status.setText(f"Preparing: {stage}…")

    def stopping(self) -> None:
        self.status.setText("Stopping after the current batch…")
        self.stop_button.setEnabled(False)

    def show_time(self, seconds: float, device: str) -> None:
        """The measured time per epoch, around the memory estimate already shown."""
        self.estimate.setText(
            f"Device: {device}.<br>{self.estimate.text()}<br>Time: about "
            f"{clock(seconds)} per epoch (training and validation), measured on a "
            "few batches; the first epoch also loads the images."
        )

    def show_download(self, fraction: float, message: str) -> None:
        if fraction > 0:
            self.progress.setRange(0, 1000)
            self.progress.setValue(round(fraction * 1000))
        self.status.setText(message[:1].upper() + message[1:] + "…")

    def begin(self, total: int, steps: int) -> None:
        self._total, self._steps = total, max(steps, 1)
        self._started_at = time.monotonic()
        self.progress.setRange(0, total * self._steps)

    @property
    def steps(self) -> int:
        return self._steps

    def show_batch(self, epoch: int, batch: int, logs: dict) -> None:
        done = epoch * self._steps + batch + 1
        self.progress.setValue(done)
        elapsed = time.monotonic() - self._started_at
        eta = elapsed / max(done, 1) * (self._total * self._steps - done)
        self.status.setText(
            f"epoch {epoch + 1}/{self._total} · batch {batch + 1}/{self._steps} · "
            f"{clock(elapsed)} elapsed · about {clock(eta)} left · "
            f"loss {logs.get('loss', float('nan')):.4f}"
        )

    # ------------------------------------------------------------ after it
    def show_finished(self, result: TrainingResult) -> None:
        """How the run ended; the bar stays where a stopped run stopped."""
        if result.stop_reason in (StopReason.COMPLETED, StopReason.EARLY_STOPPING):
            self.progress.setRange(0, 1)
            self.progress.setValue(1)
        elif self.progress.maximum() == 0:  # stopped while preparing
            self.progress.setRange(0, 1)
            self.progress.setValue(0)
        why = result.stop_reason.value + (
            f": {result.message}" if result.message else ""
        )
        best = (
            ""
            if result.best_epoch is None
            else f" · best epoch {result.best_epoch + 1}"
        )
        epochs = f"{result.epochs_run} epoch{'' if result.epochs_run == 1 else 's'}"
        self.status.setText(f"{epochs} on {result.device} · {why}{best}")

    def show_failed(self, message: str) -> None:
        self.progress.setRange(0, 1)
        self.status.setText(colours.span(f"Training failed: {message}", "error"))


def clock(seconds: float) -> str:
    """``m:ss``, for the time elapsed and left."""
    m, s = divmod(int(seconds), 60)
    return f"{m}:{s:02d}"
