"""SweepsPage: search the project's settings, many runs, and keep the best.

Left, what the sweep is (``SweepSetup``: name, search, budget, what varies)
and Run, Stop and Continue with the progress; right, the project's sweeps
(``SweepResults``: a table of trials and a plot per varied setting).

Run hands ``core.sweeps.search.run_sweep`` to a heavy ``FunctionWorker``, so
a sweep runs alone as training does; a ``SweepBridge`` turns its listener's
calls into signals (trial N of M, time left), a ``TrainingBridge`` those of
the running trial (its epochs). Stop sets the job's cancel event: the trial
stops after its batch and stays in progress in the sweep's folder, which
Continue (shown while the folder says the sweep is unfinished) runs again
where it stopped. Closing the window stops a sweep the same way and waits
for it. Each trial is an ordinary run: the Training page's Runs list has it.
"Use these settings" puts a trial's values into the project as one undo step.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal, Slot
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from core.data.dataset import Dataset
from core.document import ProjectDocument
from core.errors import WorkbenchError
from core.runs import RunStore
from core.sweeps.folder import ENDED, TrialRecord, list_sweeps, open_sweep
from core.sweeps.spec import SweepSpecError, parse_sweep
from core.sweeps.trial_settings import trial_settings
from desktop import colours
from desktop.document_links import connect_while_alive
from desktop.undo_commands import EditLayer, SetSetting
from desktop.widgets.sweep_results import SweepResults
from desktop.widgets.sweep_setup import SweepSetup
from desktop.workers import FunctionWorker
from desktop.workers_sweep import SweepBridge
from desktop.workers_training import TrainingBridge

JOB_NAME = "A sweep"  # what Start on the Training page is told is running
PANEL_PX = 380
STEPS = 100  # progress-bar steps per trial
NO_DATA = "Load a dataset on the Data page, then run a sweep."


class SweepsPage(QWidget):
    """The sweep's description and controls left, its trials right."""

    finished = Signal(object)  # core.sweeps.events.SweepOutcome
    failed = Signal(str)

    def __init__(
        self,
        document: ProjectDocument,
        undo_stack: QUndoStack,
        dataset: Callable[[], Dataset | None],
        store: Callable[[], RunStore],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.document, self.undo_stack = document, undo_stack
        self._dataset, self._store = dataset, store
        self.worker: FunctionWorker | None = None
        self._stale = True  # the project changed since the setup listed it
        self._trial: TrialRecord | None = None  # the trial running now
        self._total: int | None = None
        self._epochs = 1  # the running trial's
        self.setup = SweepSetup()
        self.results = SweepResults()
        self.bridge = SweepBridge(self)
        self.trial_bridge = TrainingBridge(self)
        self.run_button = QPushButton("Run sweep")
        self.run_button.setToolTip(
            "Train one run per trial with the settings the search picks"
        )
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip(
            "Stop after the current batch; Continue goes on from there later"
        )
        self.continue_button = QPushButton("Continue")
        self.continue_button.setToolTip(
            "Go on with the shown sweep where it stopped (its interrupted "
            "trial's run is resumed)"
        )
        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        self.status = QLabel(NO_DATA)
        self.status.setWordWrap(True)
        buttons = QHBoxLayout()
        for button in (self.run_button, self.stop_button, self.continue_button):
            buttons.addWidget(button)
        left = QVBoxLayout()
        left.setContentsMargins(0, 0, 0, 0)
        left.addWidget(self.setup, 1)
        left.addWidget(self.progress)
        left.addWidget(self.status)
        left.addLayout(buttons)
        panel = QWidget()
        panel.setLayout(left)
        panel.setFixedWidth(PANEL_PX)
        layout = QHBoxLayout(self)
        layout.addWidget(panel)
        layout.addWidget(self.results, 1)
        self._connect()
        self._set_running(False)

    def _connect(self) -> None:
        bridge = self.bridge
        bridge.began.connect(self._on_sweep_began)
        bridge.trial_began.connect(self._on_trial_began)
        bridge.trial_ended.connect(self._on_trial_ended)
        self.trial_bridge.began.connect(self._on_trial_training_began)
        self.trial_bridge.epoch_ended.connect(self._on_trial_epoch_ended)
        self.trial_bridge.stage.connect(self._on_trial_stage)
        self.run_button.clicked.connect(self.start)
        self.stop_button.clicked.connect(self.stop)
        self.continue_button.clicked.connect(self.continue_sweep)
        self.setup.changed.connect(self._on_setup_changed)
        self.results.chosen.connect(
            lambda _folder: self._set_running(self.is_running())
        )
        self.results.use_trial.connect(self.use_trial)
        events = self.document.events
        connect_while_alive(
            self,
            [
                (events.training, self._on_project_changed),
                (events.augmentation, self._on_project_changed),
                (events.model, self._on_project_changed),
                (events.loaded, self._on_project_changed),
                (events.path, self._on_project_changed),
            ],
        )

    # ------------------------------------------------------------ reading
    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._stale and self.worker is None:
            self.refresh()

    def refresh(self) -> None:
        """The project as it is now: what may vary, its sweeps, what Run says."""
        self._stale = False
        self.setup.set_project(self.document.project())
        self.results.refresh(self._store().root)
        self._offer_a_new_name()
        self._set_running(self.is_running())
        self._say_readiness()

    def set_dataset(self, _dataset: Dataset | None) -> None:
        """The project's images loaded (or dropped): what Run would say now."""
        self._set_running(self.is_running())
        self._say_readiness()

    def _offer_a_new_name(self) -> None:
        """A finished sweep's name is not offered again: Run would refuse the
        new ranges under it, or find its budget spent."""
        root = self._store().root
        folder = open_sweep(root, self.setup.name())
        if folder is None or folder.record().get("state") != ENDED:
            return
        taken = {f.name for f in list_sweeps(root)}
        number = next(n for n in range(1, len(taken) + 2) if f"sweep-{n}" not in taken)
        self.setup.name_edit.setText(f"sweep-{number}")  # a change of no problem

    def is_running(self) -> bool:
        return self.worker is not None

    def _say_readiness(self) -> None:
        if self.is_running():
            return
        if self._dataset() is None:
            self._say(NO_DATA, "muted")
        elif self.setup.problems():
            self._say("Run waits for the mistakes above to be mended.", "muted")
        else:
            self._say(f"Ready: {self._dataset().name}.", "muted")

    # ------------------------------------------------------------ running
    def start(self) -> None:
        """Run the sweep the form describes (a stopped one of its name goes on)."""
        self._run(self.setup.data())

    def continue_sweep(self) -> None:
        """Go on with the shown sweep as it was described, where it stopped."""
        folder = self.results.folder
        if folder is None or self.is_running():
            return
        data = folder.record().get("spec") or {}
        self.setup.show_data(data)
        self._run(data)

    def _run(self, data: dict[str, Any]) -> None:
        if self.is_running():
            return
        project, dataset, store = (
            self.document.project(),
            self._dataset(),
            self._store(),
        )
        if dataset is None:
            self._say(NO_DATA, "error")
            return
        try:
            spec = parse_sweep(data, project)
        except SweepSpecError as exc:
            self._say("; ".join(exc.problems), "error")
            return
        bridge, trial_bridge = self.bridge, self.trial_bridge

        def job(progress, cancel):
            trial_bridge.on_stage("loading TensorFlow and KerasTuner")
            from core.sweeps.search import run_sweep

            return run_sweep(
                spec,
                project,
                dataset,
                store,
                listener=bridge,
                trial_listener=trial_bridge,
                cancel=cancel,
            )

        self._trial, self._total = None, spec.settings.trials or None
        self.progress.setRange(0, 0)  # busy until the first trial begins
        self._say(f"Sweep {spec.name}: starting…", "muted")
        self.worker = FunctionWorker(job, heavy=JOB_NAME)
        self.worker.finished.connect(self._on_worker_finished)
        self.worker.failed.connect(self._on_worker_failed)
        self._set_running(True)
        self.worker.start()

    def stop(self) -> None:
        """Stop after the running trial's current batch; the sweep is kept."""
        if self.worker is not None:
            self.worker.request_stop()
            self._say("Stopping after the current batch…", "muted")
            self.stop_button.setEnabled(False)

    def shutdown(self) -> None:
        """Stop a sweep (after its batch) and wait for it: nothing is lost."""
        if self.worker is not None:
            self.worker.request_stop()
            self.worker.wait(60_000)

    # ------------------------------------------------- use a trial's values
    def use_trial(self, trial: TrialRecord) -> None:
        """Put ``trial``'s values into the project as one undo step."""
        doc = self.document
        try:
            new = trial_settings(doc.project(), trial.values)
        except WorkbenchError as exc:
            self._say(
                f"Trial {trial.number}'s settings do not fit the project: {exc}",
                "error",
            )
            return
        layers = [
            (i, layer)
            for i, (layer, old) in enumerate(
                zip(new.model.layers, doc.layers, strict=True)
            )
            if layer != old
        ]
        changes = new.training != doc.training or new.augmentation != doc.augmentation
        if not (changes or layers):
            self._say(
                f"The project already has trial {trial.number}'s settings.", "muted"
            )
            return
        text = f"Use trial {trial.number}'s settings"
        self.undo_stack.beginMacro(text)
        for field in ("training", "augmentation"):
            if getattr(new, field) != getattr(doc, field):
                self.undo_stack.push(
                    SetSetting(
                        doc, field, getattr(new, field), key="sweep-trial", text=text
                    )
                )
        for index, layer in layers:
            self.undo_stack.push(EditLayer(doc, index, layer, text=text))
        self.undo_stack.endMacro()
        self._say(
            f"The project now has trial {trial.number}'s settings (Ctrl+Z undoes it).",
            "ok",
        )

    # ---------------------------------------------------------------- slots
    def _on_project_changed(self, *_: object) -> None:
        self._stale = True
        if self.isVisible() and self.worker is None:
            self.refresh()

    @Slot()
    def _on_setup_changed(self) -> None:
        self._set_running(self.is_running())
        self._say_readiness()

    @Slot(object, object)
    def _on_sweep_began(self, folder, done: list) -> None:
        self.results.live = True
        self.results.refresh(folder.runs_root, folder.name)
        again = f", continuing after {len(done)} trials" if done else ""
        self._say(f"Sweep {folder.name}{again}.", "muted")

    @Slot(object, object)
    def _on_trial_began(self, trial: TrialRecord, progress) -> None:
        self._trial, self._total = trial, progress.total
        resumed = f", resuming {trial.run}" if trial.run else ""
        self._say(f"{_capital(progress.words())}{resumed}.", "muted")
        self._show_progress(0.0)
        self.results.reload()

    @Slot(object, object)
    def _on_trial_ended(self, trial: TrialRecord, progress) -> None:
        self.results.reload()
        if trial.status == "failed":
            self._say(f"Trial {trial.number} failed: {trial.message}", "warning")
        self._show_progress(1.0)

    @Slot(int, int)
    def _on_trial_training_began(self, epochs: int, _steps: int) -> None:
        self._epochs = max(1, epochs)

    @Slot(int, object)
    def _on_trial_epoch_ended(self, epoch: int, _logs: dict) -> None:
        self._show_progress((epoch + 1) / self._epochs)

    @Slot(str)
    def _on_trial_stage(self, stage: str) -> None:
        if self._trial is None:
            self._say(f"Sweep: {stage}…", "muted")

    @Slot(object)
    def _on_worker_finished(self, outcome) -> None:
        self.worker = None
        self.results.live = False
        best = outcome.best
        words = f"Sweep {outcome.folder.name}: {outcome.reason}"
        if outcome.stopped:
            words += "; Continue goes on where it stopped"
        if best is not None and best.score is not None:
            words += f". Best: trial {best.number}, {best.score:.4g}"
        self._say(words + ".", "ok")
        self.results.refresh(outcome.folder.runs_root, outcome.folder.name)
        self._offer_a_new_name()
        self._set_running(False)
        self._idle_progress()
        if self._stale and self.isVisible():  # the project changed meanwhile
            self.refresh()
        self.finished.emit(outcome)

    @Slot(str, str)
    def _on_worker_failed(self, message: str, _details: str) -> None:
        self.worker = None
        self.results.live = False
        self._say(message, "error")
        root = self._store().root
        if Path(root).exists():
            self.results.refresh(root)
        self._set_running(False)
        self._idle_progress()
        self.failed.emit(message)

    # -------------------------------------------------------------- showing
    def _show_progress(self, fraction: float) -> None:
        """Trial N of M, and how far the running trial's epochs are."""
        if self._trial is None or not self._total:
            self.progress.setRange(0, 0)
            return
        self.progress.setRange(0, self._total * STEPS)
        done = (self._trial.number - 1) * STEPS + int(fraction * STEPS)
        self.progress.setValue(min(done, self._total * STEPS))

    def _idle_progress(self) -> None:
        self.progress.setRange(0, 1)
        self.progress.setValue(0)

    def _say(self, text: str, role: str) -> None:
        self.status.setText(colours.span(text, role))

    def _set_running(self, running: bool) -> None:
        folder = self.results.folder
        unfinished = folder is not None and folder.record().get("state") != ENDED
        ready = self._dataset() is not None and not self.setup.problems()
        self.run_button.setEnabled(not running and ready)
        self.stop_button.setEnabled(running)
        self.continue_button.setVisible(unfinished and not running)
        self.continue_button.setEnabled(unfinished and not running)
        self.progress.setVisible(running)
        self.setup.set_enabled(not running)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]
