"""TrainingPage: the open project's training settings, one run at a time, results.

A view of the project document: the settings form edits ``document.training``
through the undo stack; Start trains ``document.spec`` on the loaded data with
the document's augmentation and settings, read when Start is pressed. The run
is ``core.training.session.run_session`` on a worker thread; a TrainingBridge
turns its listener calls into Qt signals. Stop sets the cancel Event, which
the core checks after every batch, and a stopped run is not evaluated until
"Evaluate on test set" asks. Resume asks for the few settings a run may change
(ResumeDialog) and continues it from its folder (``resume_session``), never
from the project as it is now.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import (
    QHBoxLayout,
    QScrollArea,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from core.backbone_table import cached_only
from core.data.dataset import Dataset
from core.data.memory import free_gpu_memory
from core.document import ProjectDocument
from core.errors import WorkbenchError
from core.runs import Run, RunStore
from core.summary import unmeasured_backbone
from core.training.estimate import estimate_memory
from core.training.lr_finder_result import (
    CANCELLED,
    RangeTest,
    load_result,
    save_result,
)
from core.training.preflight import preflight, refusal
from desktop import colours
from desktop.document_links import connect_while_alive
from desktop.resume_dialog import ResumeDialog
from desktop.widgets.exclusions_panel import set_exclusions
from desktop.widgets.lr_finder_view import (
    LrFinderView,
    find_button,
    last_result_button,
    last_result_text,
)
from desktop.widgets.run_controls import RunControls
from desktop.widgets.training_form import TrainingForm
from desktop.widgets.training_results import TrainingResults
from desktop.workers import FunctionWorker
from desktop.workers_training import TrainingBridge

if TYPE_CHECKING:  # hints only: the page imports training code when it runs
    from core.training.session import SessionResult

_UNKNOWN = object()  # the GPU's free memory, before it is first asked for


class TrainingPage(QWidget):
    """Settings left, curves and results right; the window supplies the data."""

    finished = Signal(object)  # core.training.session.SessionResult
    failed = Signal(str)
    evaluated = Signal(object)  # core.training.evaluation.Evaluation, on request

    def __init__(
        self,
        document: ProjectDocument,
        undo_stack: QUndoStack,
        dataset: Callable[[], Dataset | None],
        store: Callable[[], RunStore],
        parent: QWidget | None = None,
    ) -> None:
        """``dataset``: the loaded images (the document holds only their spec)."""
        super().__init__(parent)
        self.document, self.undo_stack = document, undo_stack
        self._dataset, self._store = dataset, store
        self._free_gpu: int | object | None = _UNKNOWN
        self.worker: FunctionWorker | None = None
        self._resumable: Run | None = None  # the run that just stopped
        self._loading = ""  # what the Data page says while it loads the images
        self._resuming: Run | None = None  # the run a resume continues
        self._session: SessionResult | None = None  # the finished run shown
        self.resume_dialog: ResumeDialog | None = None
        self.form = TrainingForm(document, undo_stack)
        self.controls = RunControls()
        self.results_panel = TrainingResults(store)
        self.results_panel.data_quality_view.set_project(document, undo_stack)
        self.results_panel.evaluation_view.listing_requested.connect(
            self._on_listing_requested
        )
        self.find_lr_button = find_button()
        self.lr_finder: LrFinderView | None = None  # the last range test shown
        self.last_lr_button = last_result_button()
        self.last_lr_test: RangeTest | None = None  # the project's kept result
        self.bridge = TrainingBridge(self)
        self._connect()
        left = QVBoxLayout()
        scroll = _scrolling(self.form)
        left.addWidget(scroll, 1)
        left.addWidget(self.controls)
        finder = QHBoxLayout()
        finder.addWidget(self.find_lr_button, 1)
        finder.addWidget(self.last_lr_button)
        left.addLayout(finder)
        left.addWidget(self.results_panel.side)
        left.addWidget(self.controls.buttons)  # last: nothing above moves them
        panel = QWidget()
        panel.setLayout(left)
        panel.setFixedWidth(_panel_width(panel, scroll))
        layout = QHBoxLayout(self)
        layout.addWidget(panel)
        layout.addWidget(self.results_panel, 1)
        self._set_running(False)
        self.refresh_last_lr_result()

    def _connect(self) -> None:
        bridge, results = self.bridge, self.results_panel
        bridge.began.connect(self._on_bridge_began)
        bridge.estimated.connect(self._on_bridge_estimated)
        bridge.batch_ended.connect(self._on_bridge_batch_ended)
        bridge.epoch_ended.connect(results.chart.add_epoch)
        bridge.phase_began.connect(self._on_bridge_phase_began)
        bridge.downloading.connect(self.controls.show_download)
        bridge.stage.connect(self.controls.show_stage)
        self.controls.start_button.clicked.connect(lambda: self.start())
        self.controls.stop_button.clicked.connect(self.stop)
        self.controls.resume_button.clicked.connect(self.resume)
        self.find_lr_button.clicked.connect(self.find_learning_rate)
        self.last_lr_button.clicked.connect(self.show_last_lr_result)
        results.evaluate_button.clicked.connect(self.evaluate)
        results.evaluation_ended.connect(lambda: self._set_running(False))
        results.evaluated.connect(self.evaluated)
        results.evaluation_failed.connect(self.failed)
        results.runs_panel.resume_run.connect(self.resume_run)
        events = self.document.events
        connect_while_alive(
            self,
            [
                (events.training, self._on_document_changed),
                (events.model, self._on_document_changed),
                # Another project (File > New, Open) or its runs moved by a save.
                (events.loaded, self.refresh_last_lr_result),
                (events.path, self.refresh_last_lr_result),
            ],
        )

    # ------------------------------------------------------------ reading
    def refresh_estimate(self) -> None:
        """Memory needed for the current model, data and batch size (instant)."""
        dataset, spec = self._dataset(), self.document.spec
        if dataset is None:
            self.controls.show_estimate("")
            return
        if unmeasured_backbone(spec):
            self.controls.show_estimate(
                "Memory: estimated once the Model page has measured the backbone."
            )
            return
        cfg = self.document.training
        est = estimate_memory(
            spec,
            dataset,
            cfg.batch_size,
            cfg.optimizer,
            cache=cfg.cache_data,
            averaged=cfg.ema,
            gpu_available=self._gpu(),
        )
        text = f"Memory: {est.describe()}."
        if not est.fits:
            text = colours.span(f"{text} {est.advice()}", "error")
        self.controls.show_estimate(text)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.form.refresh_backbone()
        if self.worker is None:
            self.refresh_estimate()
            self.results_panel.runs_panel.refresh()
            self.refresh_readiness()

    def is_running(self) -> bool:
        return self.worker is not None

    def _busy(self) -> bool:
        finding = self.lr_finder is not None and self.lr_finder.is_running()
        return (
            self.worker is not None
            or self.results_panel.evaluator is not None
            or finding
        )

    def start_problem(self) -> str | None:
        """What would refuse Start now: ``run_session``'s own pre-flight words."""
        spec, dataset = self.document.spec, self._dataset()
        if dataset is not None and unmeasured_backbone(spec):
            return (
                "The backbone's layers are still being measured on the Model page "
                "(once per architecture and size); start again in a moment."
            )
        # Never build a backbone table here (GUI thread): the Model page does that.
        training = self.document.training
        problems = preflight(spec, dataset, training, cached_only, self._gpu())
        return refusal(problems) or None

    def refresh_readiness(self) -> None:
        """Say before Start what would refuse it (a head that does not fit the data)."""
        if self._busy() or not self.isVisible():
            return  # the status reports the running job
        if self._waiting_for_data():
            return
        problem = self.start_problem()
        if problem:
            self.controls.show_refusal(problem)
            return
        dataset = self._dataset()
        sizes = " / ".join(
            f"{len(dataset.splits[k]):,} {k}" for k in ("train", "validation", "test")
        )
        self.controls.show_ready(f"Ready: {dataset.name}, {sizes} images.")

    def show_loading(self, text: str) -> None:
        """The project's images are loading (``text`` says so): not a refusal.

        Going to this page loads them; "No dataset is loaded" stood there in
        red meanwhile.
        """
        self._loading = text
        if not self._busy():
            self._waiting_for_data()

    def loading_ended(self, *_: object) -> None:
        """The Data page's load failed or was cancelled: no data is coming."""
        self._loading = ""
        self.refresh_readiness()

    def _waiting_for_data(self) -> bool:
        """Say the data is loading, plainly, while it does; True then.

        A settings edit or Start meanwhile said "No dataset is loaded" in red,
        as if the user had something to do.
        """
        if not self._loading or self._dataset() is not None:
            return False
        self.controls.show_waiting(self._loading)
        return True

    # ------------------------------------------------------------ running
    def resume(self) -> None:
        """Continue the stopped run: ask how far, then resume it."""
        if self._resumable is not None:
            self.resume_run(self._resumable)

    def resume_run(self, run: Run) -> None:
        """Ask (ResumeDialog) how far to continue ``run``, then resume it.

        From the Resume button (the run just stopped) or the Runs list (a
        stopped, failed or killed run).
        """
        if self._busy():
            return
        if self.resume_dialog is not None:
            self.resume_dialog.deleteLater()  # one at a time, not one per resume
        dialog = ResumeDialog(run, self)
        dialog.accepted.connect(lambda: self._start_resume(run, dialog.changes()))
        self.resume_dialog = dialog
        dialog.open()

    def start(self) -> None:
        """Check what would make the run fail at once, then train off-thread."""
        if self._busy() or self._waiting_for_data():
            return
        problem = self.start_problem()
        if problem:
            self.controls.show_refusal(problem)
            self.failed.emit(problem)
            return
        doc, bridge = self.document, self.bridge
        spec, dataset, store = doc.spec, self._dataset(), self._store()
        cfg, aug, data_spec = doc.training, doc.augmentation, doc.dataset

        def job(progress, cancel):
            _loading_tensorflow(bridge)
            from core.training.session import run_session

            return run_session(
                spec,
                dataset=dataset,
                cfg=cfg,
                augmentation=aug,
                listener=bridge,
                cancel=cancel,
                store=store,
                label=spec.name,
                data_spec=data_spec,
            )

        self.results_panel.chart.clear()
        self._run(job, resuming=None)

    def _start_resume(self, run: Run, changes: dict) -> None:
        """Resume ``run`` from its folder alone, with the dialog's ``changes``."""
        if self._busy():
            return
        bridge = self.bridge

        def job(progress, cancel):
            _loading_tensorflow(bridge)
            from core.training.resume import resume_session

            return resume_session(run.path, **changes, listener=bridge, cancel=cancel)

        self._run(job, resuming=run)

    def find_learning_rate(self) -> None:
        """The range test (``core.training.lr_finder``) of the project as it is
        now, in a dialog; the result is kept beside the project's runs."""
        if self._busy():
            return
        problem = self.start_problem()
        if problem:
            self.controls.show_refusal(problem)
            return
        doc = self.document
        spec, dataset = doc.spec, self._dataset()
        cfg, aug = doc.training, doc.augmentation
        runs = self._store().root

        def job(listener, cancel):
            _loading_tensorflow(listener)
            from core.training import lr_finder

            test = lr_finder.find_learning_rate(
                spec, dataset, cfg, aug, listener, cancel
            )
            if test.stop != CANCELLED:
                save_result(test, runs)
            return test

        view = self._new_lr_view()
        self.find_lr_button.setEnabled(False)
        self.last_lr_button.setEnabled(False)
        view.open()
        view.run(job)

    def refresh_last_lr_result(self, *_: object) -> None:
        """The project's kept range test behind "Last result": shown again when
        the project is reopened, gone for another project."""
        try:
            test = load_result(self._store().root)
        except WorkbenchError:
            test = None  # unreadable: the next test writes it afresh
        self.last_lr_test = test
        text, tip = last_result_text(test)
        self.last_lr_button.setText(text)
        self.last_lr_button.setToolTip(tip)
        self.last_lr_button.setVisible(test is not None)

    def show_last_lr_result(self) -> None:
        """The kept range test's curve and suggestion, "Use" for it (undoable)."""
        if self._busy() or self.last_lr_test is None:
            return
        view = self._new_lr_view()
        view.show_result(self.last_lr_test, saved=True)
        view.open()

    def _new_lr_view(self) -> LrFinderView:
        """One finder dialog at a time: the previous one goes."""
        if self.lr_finder is not None:
            self.lr_finder.deleteLater()
        self.lr_finder = LrFinderView(self.document, self.undo_stack, self)
        self.lr_finder.ended.connect(self._on_lr_test_ended)
        return self.lr_finder

    def _run(self, job, resuming: Run | None) -> None:
        self._resuming = resuming
        self.results_panel.forget()
        self.worker = FunctionWorker(job, heavy="Training")
        self.worker.finished.connect(self._on_worker_finished)
        self.worker.failed.connect(self._on_worker_failed)
        self._set_running(True)
        self.controls.preparing()
        self.worker.start()

    def stop(self) -> None:
        if self.worker is not None:
            self.worker.request_stop()
            self.controls.stopping()

    def evaluate(self) -> None:
        """The stopped run's best model on its test set, off the GUI thread."""
        if self.worker is None:
            self.results_panel.evaluate()
            self._set_running(False)

    def show_run(self, run: Run | None) -> None:
        """``run``'s curves and test figures from its folder (None: a blank page).

        A reopened project shows its newest run as it was before quitting;
        a run in progress is left alone.
        """
        if self._busy():
            return
        self._resumable, self._session = None, None
        self.results_panel.show_run(run, self._dataset())
        if run is None:
            self.results_panel.evaluation_view.clear()
        self._set_running(False)

    def run_moved(self, run: Run) -> None:
        """A save moved the shown run beside the project file: follow it there.

        Its path in the results, Resume and Evaluate all use the new folder.
        """
        if self._busy():
            return
        session, stopped = self._session, self._resumable
        shown = session is not None and session.run and session.run.name == run.name
        # A stopped run evaluated since shows its figures from its folder.
        waiting = self.results_panel.can_evaluate()
        if shown and (not session.result.cancelled or waiting):
            self._session = replace(session, run=run)
            self.results_panel.show_session(self._session)
        else:
            self.show_run(run)
        if stopped is not None and stopped.name == run.name:
            self._resumable = run
        self._set_running(False)

    def set_dataset(self, dataset: Dataset | None) -> None:
        """The project's images are loaded: the shown run's mistakes can be drawn."""
        self._loading = ""  # loaded, or another project's: not this load any more
        self.results_panel.set_dataset(dataset)
        self.refresh_readiness()

    def shutdown(self) -> None:
        """Stop a run (after its current batch) and wait for it and any evaluation."""
        if self.worker is not None:
            self.worker.request_stop()
            self.worker.wait(30_000)
        if self.lr_finder is not None:
            self.lr_finder.shutdown()
        self.results_panel.shutdown()

    # ---------------------------------------------------------------- slots
    @Slot(int, object)
    def _on_listing_requested(self, index: int, label: str | None) -> None:
        """A test image from the results on the project's exclusion list."""
        dataset = self.results_panel.evaluation_view.shown_dataset()
        spec = self.document.dataset
        if dataset is None or spec is None:
            return
        try:
            path, digest = dataset.identity("test", index)
        except OSError as exc:
            self.controls.show_refusal(f"Not listed: {exc}")
            return
        exclusions = spec.exclusions.listing(path, digest, label)
        what = "Exclude" if label is None else f"Label as {label}"
        set_exclusions(self.document, self.undo_stack, exclusions, f"{what} {path}")

    def _on_document_changed(self, *_: object) -> None:
        """Settings or model changed: the estimate and what Start would say."""
        self.refresh_estimate()
        self.refresh_readiness()  # a batch size beyond the machine, say

    def _on_lr_test_ended(self) -> None:
        self._set_running(False)
        self.refresh_last_lr_result()  # a finished test was just kept

    @Slot(int, int)
    def _on_bridge_phase_began(self, phase: int, epoch: int) -> None:
        if phase == 2:
            self.results_panel.chart.set_phase_boundary(epoch)

    @Slot(float, str)
    def _on_bridge_estimated(self, seconds: float, device: str) -> None:
        self.refresh_estimate()
        self.controls.show_time(seconds, device)

    @Slot(int, int)
    def _on_bridge_began(self, total: int, steps: int) -> None:
        monitor = self.document.training.checkpoint_monitor
        self.results_panel.begin(total, monitor, self._resuming)
        self.controls.begin(total, steps)

    @Slot(int, int, object)
    def _on_bridge_batch_ended(self, epoch: int, batch: int, logs: dict) -> None:
        self.controls.show_batch(epoch, batch, logs)
        self.results_panel.chart.add_batch(epoch, batch, self.controls.steps, logs)

    @Slot(object)
    def _on_worker_finished(self, session: SessionResult) -> None:
        self.worker = None
        result = session.result
        self._resumable = session.run if result.cancelled else None
        self._session = session
        self.results_panel.show_session(session)
        self._set_running(False)
        self.controls.show_finished(result)
        self.finished.emit(session)

    @Slot(str, str)
    def _on_worker_failed(self, message: str, details: str) -> None:
        self.worker = None
        self._set_running(False)
        self.controls.show_failed(message)
        self.results_panel.runs_panel.refresh()  # a failed run's record says why
        self.failed.emit(message)

    def _gpu(self) -> int | None:
        """The GPU's free memory; nvidia-smi is asked once, not per edit."""
        if self._free_gpu is _UNKNOWN:
            self._free_gpu = free_gpu_memory()
        return self._free_gpu

    def _set_running(self, running: bool) -> None:
        idle = not running and self.results_panel.evaluator is None
        self.controls.set_running(running, idle, self._resumable is not None)
        self.find_lr_button.setEnabled(idle and not self._busy())
        self.last_lr_button.setEnabled(idle and not self._busy())
        self.results_panel.evaluate_button.setEnabled(
            idle and self.results_panel.can_evaluate()
        )


def _loading_tensorflow(bridge: TrainingBridge) -> None:
    """The first run's longest wait, named: importing TensorFlow (seconds)."""
    if "tensorflow" not in sys.modules:
        bridge.on_stage("loading TensorFlow")


def _panel_width(panel: QWidget, scroll: QScrollArea) -> int:
    """340 px, or what the settings need: the scroll area does not scroll
    sideways, so a form wider than it lost every box's right edge."""
    margins = panel.layout().contentsMargins()
    bar = scroll.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
    needed = scroll.widget().minimumSizeHint().width() + bar
    return max(340, needed + margins.left() + margins.right())


def _scrolling(content: QWidget) -> QScrollArea:
    """The settings groups in a scroll area, Start and the messages below it.

    The groups are taller than a 768-pixel screen has room for: they scroll,
    so the window never grows past the screen and Start stays in view.
    """
    scroll = QScrollArea()
    scroll.setWidget(content)
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QScrollArea.Shape.NoFrame)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    return scroll
