"""LrFinderView: the learning-rate range test's progress, curve and suggestion.

A dialog the Training page opens for "Find learning rate". ``run`` hands the
test (``core.training.lr_finder.find_learning_rate``, through the job the page
gives it) to a heavy ``FunctionWorker``, so it runs alone as training does; a
``TrainingBridge`` turns its listener calls into signals for the progress bar
and the live curve, and Cancel sets the job's cancel event (the test stops
after the batch; the project is not touched). Then pyqtgraph plots the
smoothed loss against the learning rate on a log axis with the suggestion
marked, and "Use" writes it to the project's learning rate as one undoable
``SetSetting``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal, Slot
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from core.document import ProjectDocument
from desktop import colours
from desktop.undo_commands import SetSetting
from desktop.workers import FunctionWorker
from desktop.workers_training import TrainingBridge

if TYPE_CHECKING:  # hints only: TensorFlow loads when the test runs
    from core.training.lr_finder_result import RangeTest

JOB_NAME = "The learning-rate finder"  # what Start is told is running
FIND_TIP = (
    "A range test on a copy of the model: the rate rises from 1e-7 to 10 over a "
    "few hundred batches and the steepest fall of the loss is suggested"
)
USE_KEY = "lr-finder"  # its own undo step, never merged with a typed rate


def find_button() -> QPushButton:
    """The Training page's "Find learning rate" button."""
    button = QPushButton("Find learning rate")
    button.setToolTip(FIND_TIP)
    return button


def last_result_button() -> QPushButton:
    """The Training page's button that shows the project's kept result again
    (hidden while the project has none)."""
    button = QPushButton("Last result")
    button.setVisible(False)
    return button


def last_result_text(test: RangeTest | None) -> tuple[str, str]:
    """The "Last result" button's text and tooltip for the kept ``test``."""
    if test is None:
        return "Last result", ""
    text = "Last result"
    if test.suggestion is not None:
        text = f"Last: {test.suggestion:.3g}"
    return text, f"{describe_measured(test)}. Click to see its curve again."


def describe_measured(test: RangeTest) -> str:
    """What a kept result measured and when: "Measured 2026-12-07 09:30 UTC
    (shapes_starter on shapes, adam, batch 32)"."""
    about = test.about
    when = str(about.get("when", ""))[:16].replace("T", " ")
    what = ", ".join(
        part
        for part in (
            " on ".join(str(about[k]) for k in ("model", "dataset") if about.get(k)),
            str(about.get("optimizer") or ""),
            f"batch {about['batch_size']}" if about.get("batch_size") else "",
        )
        if part
    )
    text = f"Measured {when} UTC" if when else "Measured earlier"
    return f"{text} ({what})" if what else text


class LrFinderView(QDialog):
    """Runs one range test and shows it; "Use" sets the suggestion, undoably."""

    # Not ``done``: that is QDialog's own method, which reject() calls.
    ended = Signal()  # the test ended: finished, cancelled or failed

    def __init__(
        self,
        document: ProjectDocument,
        undo_stack: QUndoStack,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Find learning rate")
        self.document, self.undo_stack = document, undo_stack
        self.worker: FunctionWorker | None = None
        self.bridge = TrainingBridge(self)
        self.test: RangeTest | None = None
        self._rates: list[float] = []
        self._smoothed: list[float] = []
        self.plot = colours.plot_widget()
        self.plot.setLogMode(x=True, y=False)
        self.plot.setLabel("bottom", "learning rate")
        self.plot.setLabel("left", "smoothed loss")
        self.curve = self.plot.plot(pen=pg.mkPen(colours.SERIES[0], width=2))
        self.marker = self.plot.plot(
            symbol="o", symbolSize=10, symbolBrush=colours.SERIES[3], pen=None
        )
        self.status = QLabel("Preparing…")
        self.status.setWordWrap(True)
        self.progress = QProgressBar()
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the test after the current batch")
        self.use_button = QPushButton("Use")
        self.use_button.setEnabled(False)
        self.close_button = QPushButton("Close")
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for button in (self.cancel_button, self.use_button, self.close_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        self.resize(560, 420)
        self.cancel_button.clicked.connect(self.cancel)
        self.use_button.clicked.connect(self.use_suggestion)
        self.close_button.clicked.connect(self.reject)
        self.bridge.stage.connect(self._on_stage)
        self.bridge.began.connect(self._on_began)
        self.bridge.batch_ended.connect(self._on_batch_ended)

    # ------------------------------------------------------------ running
    def run(self, job: Callable[[Any, Any], RangeTest]) -> None:
        """Start ``job(bridge, cancel)`` as the heavy job (refused while one runs)."""
        bridge = self.bridge
        self.worker = FunctionWorker(
            lambda progress, cancel: job(bridge, cancel), heavy=JOB_NAME
        )
        self.worker.finished.connect(self._on_finished)
        self.worker.failed.connect(self._on_failed)
        self._set_running(True)
        self.worker.start()

    def is_running(self) -> bool:
        return self.worker is not None

    def cancel(self) -> None:
        if self.worker is not None:
            self.worker.request_stop()
            self.status.setText("Stopping after the current batch…")

    def shutdown(self) -> None:
        """Stop the test (after its batch) and wait for it: the window closes."""
        if self.worker is not None:
            self.worker.request_stop()
            self.worker.wait(30_000)

    def reject(self) -> None:
        """Closing the dialog stops a test still running."""
        self.cancel()
        super().reject()

    def use_suggestion(self) -> None:
        """The project's learning rate becomes the suggestion: one undo step."""
        if self.test is None or self.test.suggestion is None:
            return
        training = replace(self.document.training, learning_rate=self.test.suggestion)
        self.undo_stack.push(
            SetSetting(
                self.document,
                "training",
                training,
                USE_KEY,
                "Use the suggested learning rate",
            )
        )
        self.status.setText(
            f"The learning rate is now {self.test.suggestion:.3g} (Ctrl+Z undoes it)."
        )

    # ---------------------------------------------------------------- slots
    @Slot(str)
    def _on_stage(self, stage: str) -> None:
        self.status.setText(f"{stage[:1].upper()}{stage[1:]}…")

    @Slot(int, int)
    def _on_began(self, total: int, batches: int) -> None:
        self._rates, self._smoothed = [], []
        self.progress.setRange(0, batches)
        self.progress.setValue(0)

    @Slot(int, int, object)
    def _on_batch_ended(self, epoch: int, batch: int, logs: dict) -> None:
        self._rates.append(logs["learning_rate"])
        self._smoothed.append(logs["smoothed"])
        self.curve.setData(np.array(self._rates), np.array(self._smoothed))
        self.progress.setValue(batch + 1)
        self.status.setText(
            f"Batch {batch + 1} of {self.progress.maximum()}: learning rate "
            f"{logs['learning_rate']:.2g}, smoothed loss {logs['smoothed']:.4f}"
        )

    @Slot(object)
    def _on_finished(self, test: RangeTest) -> None:
        self.worker = None
        self._set_running(False)
        self.ended.emit()
        if test.stop == "cancelled":
            self.status.setText(
                f"Cancelled after {len(test.losses)} batches: nothing was changed."
            )
            return
        self.show_result(test)

    def show_result(self, test: RangeTest, saved: bool = False) -> None:
        """A finished test: its curve, the suggestion marked, "Use" for it.

        ``saved``: the project's kept result, shown again (the Training page's
        "Last result"), so the status says what it measured and when.
        """
        self.test = test
        self.curve.setData(np.array(test.learning_rates), np.array(test.smoothed))
        self.progress.setRange(0, test.batches)
        self.progress.setValue(test.batches)
        self._set_running(False)
        measured = f"{describe_measured(test)}: " if saved else ""
        if test.suggestion is None:
            self.status.setText(
                f"{measured}No suggestion: the loss {test.stop} after "
                f"{len(test.losses)} batches, too few to tell a slope. Try a "
                "smaller batch size."
            )
            return
        gaps = np.abs(np.log(test.learning_rates) - np.log(test.suggestion))
        self.marker.setData([test.suggestion], [test.smoothed[int(np.argmin(gaps))]])
        self.use_button.setText(f"Use {test.suggestion:.3g}")
        self.status.setText(
            f"{measured}Suggested learning rate: {test.suggestion:.3g}, where the "
            f"smoothed loss falls fastest ({len(test.losses)} batches, {test.stop})."
        )

    @Slot(str, str)
    def _on_failed(self, message: str, details: str) -> None:
        self.worker = None
        self._set_running(False)
        self.status.setText(colours.span(message, "error"))
        self.ended.emit()

    def _set_running(self, running: bool) -> None:
        self.cancel_button.setEnabled(running)
        usable = self.test is not None and self.test.suggestion is not None
        self.use_button.setEnabled(not running and usable)
