"""CalibrationView: the reliability diagram, the ECE, and "Calibrate".

A tab of the Training page's results. The bars are the test accuracy of each
of the 15 equal-width confidence bins of the run's test figures
(``Evaluation.calibration``, computed in core); the dashed diagonal is
perfect calibration, so a bar below it is over-confidence. "Calibrate" runs
``core.inference.calibration.calibrate_run`` off the GUI thread (one heavy job
at a time, as training is): it fits one temperature on the validation split,
records it in the run, and the calibrated test bins are drawn beside the
first. Everything shown is computed in core; this widget only draws it.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from core.calibration import Calibration, Reliability
from core.data.dataset import Dataset
from core.errors import WorkbenchError
from core.run_calibration import recorded_calibration
from core.runs import Run
from desktop import colours
from desktop.workers import FunctionWorker

BEFORE, AFTER = "as trained", "calibrated"
_BRUSHES = {BEFORE: colours.SERIES[1], AFTER: colours.SERIES[0]}


class CalibrationView(QWidget):
    """Reliability bars per series (``bars[BEFORE]``, ``bars[AFTER]``) and Calibrate.

    ``calibrated(run folder, Calibration)`` is emitted once a temperature is
    recorded, for the Prediction page; ``failed(str)`` when the fit could not
    be made.
    """

    calibrated = Signal(str, object)  # run folder, core.calibration.Calibration
    failed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("calibrationView")
        self.plot = colours.plot_widget()
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.setLabel("bottom", "confidence (top probability)")
        self.plot.setLabel("left", "accuracy")
        self.plot.setXRange(0, 1, padding=0.02)
        self.plot.setYRange(0, 1, padding=0.02)
        self.legend = self.plot.addLegend(offset=(10, 10))
        self.ece = QLabel()
        self.ece.setWordWrap(True)
        self.ece.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.calibrate_button = QPushButton("Calibrate")
        self.calibrate_button.setToolTip(
            "Fit one temperature on the validation split so the probabilities "
            "match how often the model is right; the Prediction page and a "
            "calibrated export use it. Accuracy stays the same."
        )
        self.calibrate_button.setEnabled(False)
        self.calibrate_button.clicked.connect(self.calibrate)
        row = QHBoxLayout()
        row.addWidget(self.ece, 1)
        row.addWidget(self.calibrate_button)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.plot, 1)
        self.bars: dict[str, pg.BarGraphItem] = {}
        self.figures: dict[str, Reliability] = {}
        self.worker: FunctionWorker | None = None
        self._run: Run | None = None
        self._dataset: Dataset | None = None
        self.clear()

    # ------------------------------------------------------------------ api
    def clear(self) -> None:
        """Nothing shown: no run, or a run with no test figures."""
        self._run, self.figures = None, {}
        self._draw()
        self.ece.setText(
            "No test figures yet: the reliability diagram comes with them."
        )
        self.calibrate_button.setEnabled(False)

    def show_figures(
        self, figures: dict | None, run: Run | None, dataset: Dataset | None
    ) -> None:
        """A run's test reliability (``Evaluation.calibration``) and its calibration.

        ``dataset`` is the run's open data when there is one (else Calibrate
        opens it from the run's record).
        """
        self._run, self._dataset = run, dataset
        self.figures = {}
        if figures:
            self.figures[BEFORE] = Reliability.from_dict(figures)
        fitted = None
        if run is not None:
            try:
                fitted = recorded_calibration(run)
            except WorkbenchError:
                fitted = None
        self._show(fitted)
        self.calibrate_button.setEnabled(run is not None and self.worker is None)

    def calibrate(self) -> None:
        """Fit the shown run's temperature off the GUI thread."""
        run, dataset = self._run, self._dataset
        if run is None or self.worker is not None:
            return

        def job(progress, cancel):
            from core.inference.calibration import calibrate_run

            return calibrate_run(run, dataset, cancel)

        self.worker = FunctionWorker(job, heavy="Calibration")
        self.worker.finished.connect(self._on_worker_finished)
        self.worker.failed.connect(self._on_worker_failed)
        self.calibrate_button.setEnabled(False)
        self.ece.setText("Fitting a temperature on the validation split…")
        self.worker.start()

    def shutdown(self) -> None:
        if self.worker is not None:
            self.worker.request_stop()
            self.worker.wait(30_000)

    # -------------------------------------------------------------- slots
    @Slot(object)
    def _on_worker_finished(self, calibration: Calibration) -> None:
        self.worker = None
        self.calibrate_button.setEnabled(self._run is not None)
        if calibration is None:  # stopped
            self._show(None)
            return
        self._show(calibration)
        if self._run is not None:
            self.calibrated.emit(str(self._run.path), calibration)

    @Slot(str, str)
    def _on_worker_failed(self, message: str, details: str) -> None:
        self.worker = None
        self.calibrate_button.setEnabled(self._run is not None)
        self.ece.setText(colours.span(f"Calibration failed: {message}", "error"))
        self.failed.emit(message)

    # -------------------------------------------------------------- drawing
    def _show(self, fitted: Calibration | None) -> None:
        if fitted is not None and fitted.test_before is not None:
            self.figures[BEFORE] = fitted.test_before
        if fitted is not None and fitted.test_after is not None:
            self.figures[AFTER] = fitted.test_after
        self._draw()
        lines = []
        if BEFORE in self.figures:
            lines.append(f"Test {self.figures[BEFORE].label()} as trained")
        if fitted is not None:
            after = self.figures.get(AFTER)
            then = f", {after.label()}" if after is not None else ""
            lines.append(
                f"<b>Calibrated</b>: temperature {fitted.temperature:.3f}{then}"
            )
        elif self._run is not None:
            lines.append("Not calibrated: predictions use the probabilities as trained")
        self.ece.setText("<br>".join(lines) or "No test figures for this run.")

    def _draw(self) -> None:
        self.plot.clear()
        self.legend.clear()
        self.bars = {}
        diagonal = pg.PlotDataItem(
            [0, 1], [0, 1], pen=pg.mkPen(colours.GLYPH_GREY, style=Qt.PenStyle.DashLine)
        )
        self.plot.addItem(diagonal)
        shown = [s for s in (BEFORE, AFTER) if s in self.figures]
        for k, series in enumerate(shown):
            figures = self.figures[series]
            width = 1 / figures.bins
            share = width / len(shown)
            filled = [i for i, n in enumerate(figures.count) if n]
            item = pg.BarGraphItem(
                x=[i * width + share * (k + 0.5) for i in filled],
                height=[figures.accuracy[i] for i in filled],
                width=share * 0.9,
                brush=_BRUSHES[series],
            )
            self.plot.addItem(item)
            self.legend.addItem(item, f"{series} ({figures.label()})")
            self.bars[series] = item
