"""TrainingResults: the curves, the test-set evaluation and the project's runs.

The chart and the Results/Runs tabs fill the page's right side; ``side``
(the test accuracy line, "Evaluate on test set" and the smoothing switch)
sits under the run controls. A stopped run is not evaluated until the user
asks: ``evaluate`` runs ``evaluate_run`` off the GUI thread. The test figures
shown are always the run's model's (``core.run_model``), and say which model
that is; ``show_run`` shows a run from its folder (a reopened project's newest)
as it was shown when it ended.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QLabel,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from core.data.dataset import Dataset
from core.errors import WorkbenchError
from core.run_exclusions import under_run_list
from core.run_model import LABELS, run_model
from core.runs import Run, RunStore
from core.top_k import shown_top_k
from core.training.evaluation import Evaluation, as_given_words
from desktop import colours
from desktop.widgets.calibration_view import CalibrationView
from desktop.widgets.data_quality_view import DataQualityView
from desktop.widgets.evaluation_view import EvaluationView
from desktop.widgets.runs_panel import RunsPanel
from desktop.widgets.training_chart import TrainingChart
from desktop.workers import FunctionWorker

if TYPE_CHECKING:  # hints only: the page imports training code when it runs
    from core.training.session import SessionResult


class TrainingResults(QSplitter):
    """Chart above, Results and Runs tabs below; ``side`` for the left column."""

    evaluated = Signal(object)  # core.training.evaluation.Evaluation
    evaluation_failed = Signal(str)
    evaluation_ended = Signal()  # either way: the page may start again

    def __init__(
        self, store: Callable[[], RunStore], parent: QWidget | None = None
    ) -> None:
        super().__init__(Qt.Orientation.Vertical, parent)
        self.chart = TrainingChart()
        self.evaluation_view = EvaluationView()
        self.runs_panel = RunsPanel(store)
        self.calibration_view = CalibrationView()
        self.data_quality_view = DataQualityView()
        self.bottom_tabs = QTabWidget()
        self.bottom_tabs.addTab(self.evaluation_view, "Results")
        self.bottom_tabs.addTab(self.calibration_view, "Calibration")
        self.bottom_tabs.addTab(self.data_quality_view, "Data quality")
        self.runs_panel.data_quality.connect(self._on_data_quality_asked)
        self.bottom_tabs.addTab(self.runs_panel, "Runs")
        self.addWidget(self.chart)
        self.addWidget(self.bottom_tabs)
        self.setSizes([400, 380])
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.evaluate_button = QPushButton("Evaluate on test set")
        self.evaluate_button.setToolTip(
            "A stopped run is not evaluated; judge its best model on the test set"
        )
        self.smooth = QCheckBox("Smooth curves (EMA 0.6)")
        self.smooth.toggled.connect(
            lambda on: self.chart.set_smoothing(0.6 if on else 0.0)
        )
        self.side = QWidget()
        column = QVBoxLayout(self.side)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.summary)
        column.addWidget(self.evaluate_button)
        column.addWidget(self.smooth)
        self.evaluator: FunctionWorker | None = None
        self._stopped: SessionResult | None = None  # the SessionResult evaluate acts on
        self._trained_on: Dataset | None = None
        self._shown: tuple[Evaluation, Run] | None = None  # waiting for its data

    def can_evaluate(self) -> bool:
        return self._stopped is not None and self.evaluator is None

    def begin(self, total: int, monitor: str, resuming: Run | None) -> None:
        """New curves; a resumed run's own so far, as cut back to where it resumes."""
        if resuming is None:
            self.chart.begin(total, monitor)
            return
        self._draw_run(resuming, total, monitor)

    def _draw_run(self, run: Run, total: int, monitor: str) -> None:
        """``run``'s recorded curves, judged by the monitor it recorded."""
        recorded = run.config().get("training", {}).get("checkpoint_monitor")
        self.chart.begin(total, recorded or monitor)
        history = run.history()
        for epoch in range(len(history.get("loss", []))):
            self.chart.add_epoch(epoch, {k: v[epoch] for k, v in history.items()})
        boundary = run.record().get("phase_boundary")
        if isinstance(boundary, int):
            self.chart.set_phase_boundary(boundary)

    def show_run(self, run: Run | None, dataset: Dataset | None) -> None:
        """``run`` from its folder: its curves and its model's test figures.

        What a reopened project shows of its newest run, as it was shown when
        the run ended. ``dataset`` (None while not loaded yet) fills the
        misclassified images; ``set_dataset`` does it later. A run that cannot
        be read shows why instead.
        """
        from core.training.evaluation import Evaluation

        self.forget()
        self._shown = None
        self.chart.clear()
        self.calibration_view.clear()
        self.data_quality_view.set_run(run)
        if run is None:
            return
        try:
            history = run.history()
            training = run.config().get("training", {})
            epochs = len(history.get("loss", []))
            planned = training.get("epochs") if isinstance(training, dict) else None
            total = max(epochs, planned if isinstance(planned, int) else 0, 1)
            self._draw_run(run, total, "val_accuracy")
            figures = run.test_figures()
            evaluation = Evaluation.from_dict(figures[0]) if figures else None
        except (WorkbenchError, ValueError) as exc:
            self.summary.setText(colours.span(f"{run.name}: {exc}", "error"))
            return
        if evaluation is None:
            self.summary.setText(f"{run.name}: not evaluated on the test set.")
            return
        self._trained_on = None
        self._shown = (evaluation, run)
        self.show_evaluation(evaluation, run, figures[1])
        self.evaluation_view.show_evaluation(evaluation, None)
        self.set_dataset(dataset)

    def set_dataset(self, dataset: Dataset | None) -> None:
        """The data a shown run's figures wait for (its misclassified images)."""
        if dataset is None or self._shown is None:
            return
        evaluation, run = self._shown
        if dataset.class_names == run.class_names():
            # the run's figures index its test split: under the list it recorded
            dataset = under_run_list(dataset, run)
            self._trained_on = dataset
            self.evaluation_view.show_evaluation(evaluation, dataset)

    def forget(self) -> None:
        """A run starts: it replaces what was shown and what could be evaluated."""
        self._stopped = None
        self.summary.clear()

    def show_session(self, session: SessionResult) -> None:
        """A finished run: its test results, or why there are none."""
        result = session.result
        self._trained_on = session.dataset
        self._stopped = session if result.cancelled and session.run else None
        self._shown = None
        if session.run is not None and session.model is not None:
            self.data_quality_view.set_run(session.run, session.dataset)
        if session.evaluation is not None:
            self.show_evaluation(session.evaluation, session.run, _kind(session.run))
        elif result.cancelled:
            self.summary.setText(
                "Stopped: not evaluated on the test set."
                + (f"<br>run saved in {session.run.path}" if session.run else "")
            )
        elif session.model is None:
            self.summary.setText(
                "No model was kept (the run ended before its first epoch), so "
                "nothing was evaluated on the test set."
            )
        self.runs_panel.refresh()

    def show_evaluation(self, e: Evaluation, run: Run | None, kind: str | None) -> None:
        """``e``'s figures, named for the model they belong to (``kind``)."""
        saved = f"<br>run saved in {run.path}" if run else ""
        loss = "" if e.loss is None else f" · loss {e.loss:.4f}"
        k = shown_top_k(len(e.per_class), e.top_k)
        top = f" · top-{k} {e.top_k_accuracy:.3f}" if k else ""
        of = f" ({LABELS[kind]})" if kind in LABELS else ""
        tta = "" if e.tta == "none" else f" · test-time augmentation {e.tta}"
        c = e.calibration
        ece = "" if c is None else f" · ECE ({c['bins']} bins) {c['ece']:.3f}"
        self.summary.setText(
            f"<b>Test accuracy {e.accuracy:.3f}</b>{of}{as_given_words(e, 3)}"
            f"{tta}{loss}{top} · "
            f"Cohen's kappa {e.kappa:.3f}{ece}{saved}"
        )
        if self._trained_on is not None:
            self.evaluation_view.show_evaluation(e, self._trained_on)
        self.calibration_view.show_figures(e.calibration, run, self._trained_on)

    def evaluate(self) -> None:
        """The stopped run's best model on its test set, off the GUI thread."""
        session = self._stopped
        if session is None or self.evaluator is not None:
            return
        run, dataset = session.run, session.dataset

        def job(progress, cancel):
            from core.training.run_evaluation import evaluate_run

            return evaluate_run(run, dataset, cancel)

        self.evaluator = FunctionWorker(job, heavy="Evaluation")
        self.evaluator.finished.connect(self._on_evaluator_finished)
        self.evaluator.failed.connect(self._on_evaluator_failed)
        self.summary.setText("Evaluating on the test set…")
        self.evaluator.start()

    def shutdown(self) -> None:
        """Stop an evaluation or a calibration and wait for it."""
        if self.evaluator is not None:
            self.evaluator.request_stop()
            self.evaluator.wait(30_000)
        self.calibration_view.shutdown()
        self.data_quality_view.shutdown()

    @Slot(object)
    def _on_data_quality_asked(self, run: Run) -> None:
        """The Runs panel's "Data quality…": that run's report, in its tab."""
        self.data_quality_view.set_run(run)
        self.bottom_tabs.setCurrentWidget(self.data_quality_view)

    @Slot(object)
    def _on_evaluator_finished(self, evaluation: Evaluation) -> None:
        self.evaluator = None
        run = self._stopped.run if self._stopped else None
        self._stopped = None
        self.show_evaluation(evaluation, run, _kind(run))
        self.runs_panel.refresh()
        self.evaluation_ended.emit()
        self.evaluated.emit(evaluation)

    @Slot(str, str)
    def _on_evaluator_failed(self, message: str, details: str) -> None:
        self.evaluator = None
        self.summary.setText(colours.span(f"Evaluation failed: {message}", "error"))
        self.evaluation_ended.emit()
        self.evaluation_failed.emit(message)


def _kind(run: Run | None) -> str | None:
    """The kind of ``run``'s model (``core.run_model``), which its figures are of."""
    found = run_model(run.path) if run is not None else None
    return found.kind if found else None
