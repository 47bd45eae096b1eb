"""TrainingPage: settings, Start/Stop, live progress and curves, test results.

The run itself is ``core.training.session.run_session`` on a worker thread; a
small bridge turns its listener calls into Qt signals. Stop sets the cancel
Event, which the core checks after every batch, and a stopped run is not
evaluated until "Evaluate on test set" asks (``evaluate_run``). Resume asks
for the few settings a run may change (ResumeDialog) and continues it from its
folder (``resume_session``), never from the project as it is now. One run at
a time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

from PySide6.QtCore import QObject, QStringListModel, Qt, Signal, Slot
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QCompleter,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from core.augmentation.config import AugmentationConfig
from core.backbone_table import cached_only, cached_table_for, table_key
from core.data.dataset import Dataset
from core.data.memory import free_gpu_memory
from core.data.spec import DatasetSpec
from core.inference.top_k import shown_top_k
from core.runs import Run, RunStore
from core.spec import ModelSpec
from core.tensorboard_logs import tensorboard_missing
from core.training.config import (
    FINE_TUNE_FREEZE,
    MONITORS,
    OPTIMIZERS,
    SCHEDULES,
    TrainingConfig,
)
from core.training.estimate import estimate_memory
from core.training.events import StopReason
from core.training.preflight import preflight, refusal
from desktop import colours
from desktop.resume_dialog import ResumeDialog
from desktop.undo_commands import SetPageConfig
from desktop.widgets.evaluation_view import EvaluationView
from desktop.widgets.runs_panel import RunsPanel
from desktop.widgets.training_chart import TrainingChart
from desktop.workers import FunctionWorker

NO_DATA = "Load a dataset on the Data page, then start."
_UNKNOWN = object()  # the GPU's free memory, before it is first asked for


class TrainingBridge(QObject):
    """A core TrainingListener whose calls (on the worker thread) become signals."""

    estimated = Signal(float, str)
    began = Signal(int, int)
    batch_ended = Signal(int, int, object)
    epoch_ended = Signal(int, object)
    phase_began = Signal(int, int)  # phase (1 or 2), first epoch (0-based)
    downloading = Signal(float, str)  # fraction 0..1, what and how much
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

    def on_download(self, fraction: float, message: str) -> None:
        # Called per 64 KiB chunk: ten updates a second are plenty for a bar.
        now = time.monotonic()
        if now - self._last_download >= 0.1 or fraction >= 1.0:
            self._last_download = now
            self.downloading.emit(fraction, message)


class TrainingPage(QWidget):
    """Everything about one training run; the window supplies what to train."""

    finished = Signal(object)  # core.training.session.SessionResult
    failed = Signal(str)
    evaluated = Signal(object)  # core.training.evaluation.Evaluation, on request
    config_changed = Signal(object)  # TrainingConfig

    def __init__(
        self,
        spec: Callable[[], ModelSpec],
        dataset: Callable[[], Dataset | None],
        augmentation: Callable[[], AugmentationConfig],
        store: Callable[[], RunStore],
        undo_stack: QUndoStack,
        parent: QWidget | None = None,
        dataset_spec: Callable[[], DatasetSpec | None] = lambda: None,
    ) -> None:
        super().__init__(parent)
        self._dataset_spec = dataset_spec  # recorded so a run reopens its data
        self.undo_stack = undo_stack
        self._free_gpu: int | object | None = _UNKNOWN
        self._refused = False  # the status shows a pre-flight refusal
        self._spec, self._dataset, self._augmentation, self._store = (
            spec,
            dataset,
            augmentation,
            store,
        )
        self.config = TrainingConfig()
        self.worker: FunctionWorker | None = None
        self.bridge = TrainingBridge(self)
        self.bridge.began.connect(self._on_bridge_began)
        self.bridge.estimated.connect(self._on_bridge_estimated)
        self.bridge.batch_ended.connect(self._on_bridge_batch_ended)
        self.bridge.epoch_ended.connect(self._on_bridge_epoch_ended)
        self.bridge.phase_began.connect(self._on_bridge_phase_began)
        self.bridge.downloading.connect(self._on_bridge_downloading)
        self._steps = 1
        self._total = 1
        self._started_at = 0.0

        self.optimizer = QComboBox()
        self.optimizer.addItems(OPTIMIZERS)
        self.learning_rate = QDoubleSpinBox()
        self.learning_rate.setDecimals(6)
        self.learning_rate.setRange(0.000001, 1.0)
        self.learning_rate.setSingleStep(0.0001)
        self.momentum = QDoubleSpinBox()
        self.momentum.setRange(0.0, 0.999)
        self.momentum.setDecimals(3)
        self.momentum.setSingleStep(0.05)
        self.momentum.setToolTip("SGD momentum (the tutorials use 0.9)")
        self.nesterov = QCheckBox("Nesterov")
        self.weight_decay = QDoubleSpinBox()
        self.weight_decay.setRange(0.0, 1.0)
        self.weight_decay.setDecimals(4)
        self.weight_decay.setSingleStep(0.001)
        self.weight_decay.setToolTip("AdamW's decoupled weight decay")
        self.schedule = QComboBox()
        self.schedule.addItems(SCHEDULES)
        self.schedule.setToolTip(
            "plateau: ReduceLROnPlateau on the validation loss; "
            "cosine: cosine decay over the whole run"
        )
        self.batch_size = _spin(1, 4096)
        self.epochs = _spin(1, 10_000)
        self.seed = _spin(0, 2**31 - 1)
        self.seed.setToolTip("Weights, shuffling and augmentation repeat for a seed")
        self.early_stopping = QCheckBox("Early stopping")
        self.restore_best = QCheckBox("restore best weights")
        self.patience = _spin(0, 1000)
        self.patience.setPrefix("patience ")
        self.patience.setToolTip("Epochs without improvement before stopping")
        self.early_monitor = QComboBox()
        self.early_monitor.addItems(MONITORS)
        self.checkpoint = QCheckBox("Keep the best model by")
        self.checkpoint_monitor = QComboBox()
        self.checkpoint_monitor.addItems(MONITORS)
        self.cache_data = QCheckBox("Cache images in memory")
        self.cache_data.setToolTip(
            "Keep decoded images in RAM after the first epoch (skipped by itself "
            "when they would take over a quarter of it); off reads them from disk "
            "every epoch"
        )
        self.class_weights = QCheckBox("Balance classes with class weights")
        self.mixed_precision = QCheckBox("Mixed precision (GPU only)")
        self.backup = QCheckBox("Resume after a crash (BackupAndRestore)")
        self.csv_logger = QCheckBox("History CSV in the run folder")
        self.tensorboard = QCheckBox("TensorBoard logs in the run folder")
        self.tensorboard_missing = tensorboard_missing()  # an optional package
        self.tensorboard.setToolTip(self.tensorboard_missing or "")
        # Phase 2 of transfer learning: unfreeze part of the backbone, train on.
        self.fine_tune_box = QGroupBox("Phase 2: fine-tune the backbone")
        self.fine_tune_box.setCheckable(True)
        self.fine_tune_epochs = _spin(1, 10_000)
        self.fine_tune_epochs.setToolTip("Epochs of phase 2, after the epochs above")
        self.fine_tune_lr_factor = QDoubleSpinBox()
        self.fine_tune_lr_factor.setDecimals(4)
        self.fine_tune_lr_factor.setRange(0.0001, 1.0)
        self.fine_tune_lr_factor.setSingleStep(0.05)
        self.fine_tune_lr_factor.setToolTip(
            "Phase 2 trains at the learning rate times this (e.g. 0.1): small "
            "steps keep the pretrained features"
        )
        self.fine_tune_freeze = QComboBox()
        self.fine_tune_freeze.addItems(FINE_TUNE_FREEZE)
        self.fine_tune_freeze.setToolTip(
            "from_layer: unfreeze from the layer below on; last_n: the last N "
            "layers; none: the whole backbone (BatchNormalization stays frozen)"
        )
        self.fine_tune_from = QLineEdit()
        self.fine_tune_from.setPlaceholderText("top block (e.g. block5_conv1)")
        # One completer whose list follows the backbone (refresh_fine_tune).
        self.layer_names = QStringListModel(self)
        completer = QCompleter(self.layer_names, self.fine_tune_from)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.fine_tune_from.setCompleter(completer)
        self.fine_tune_from.setToolTip(
            "The first backbone layer phase 2 trains; empty: the architecture's "
            "top block"
        )
        self.fine_tune_last_n = _spin(0, 10_000)
        self.fine_tune_last_n.setToolTip("How many of the last layers phase 2 trains")
        fine_form = QFormLayout(self.fine_tune_box)
        fine_form.addRow("More epochs", self.fine_tune_epochs)
        fine_form.addRow("LR factor", self.fine_tune_lr_factor)
        fine_form.addRow("Unfreeze", self.fine_tune_freeze)
        fine_form.addRow("From layer", self.fine_tune_from)
        fine_form.addRow("Last N", self.fine_tune_last_n)
        # Every on/off setting: its checkbox and its TrainingConfig field.
        self.switches = {
            "early_stopping": self.early_stopping,
            "restore_best_weights": self.restore_best,
            "nesterov": self.nesterov,
            "checkpoint": self.checkpoint,
            "cache_data": self.cache_data,
            "class_weights": self.class_weights,
            "mixed_precision": self.mixed_precision,
            "backup_and_restore": self.backup,
            "csv_logger": self.csv_logger,
            "tensorboard": self.tensorboard,
        }
        self.choices = {
            "optimizer": self.optimizer,
            "schedule": self.schedule,
            "early_stopping_monitor": self.early_monitor,
            "checkpoint_monitor": self.checkpoint_monitor,
            "fine_tune_freeze": self.fine_tune_freeze,
        }
        form = QFormLayout()
        form.addRow("Optimizer", self.optimizer)
        form.addRow("Learning rate", self.learning_rate)
        sgd = QHBoxLayout()
        sgd.addWidget(self.momentum, 1)
        sgd.addWidget(self.nesterov)
        form.addRow("Momentum", sgd)
        form.addRow("Weight decay", self.weight_decay)
        form.addRow("Schedule", self.schedule)
        form.addRow("Batch size", self.batch_size)
        form.addRow("Epochs", self.epochs)
        form.addRow("Seed", self.seed)
        stopping = QHBoxLayout()
        stopping.addWidget(self.early_stopping)
        stopping.addWidget(self.restore_best)
        form.addRow(stopping)
        watch = QHBoxLayout()
        watch.addSpacing(20)
        watch.addWidget(self.patience)
        watch.addWidget(self.early_monitor)
        form.addRow(watch)
        best = QHBoxLayout()
        best.addWidget(self.checkpoint)
        best.addWidget(self.checkpoint_monitor)
        form.addRow(best)
        for box in (
            self.cache_data,
            self.class_weights,
            self.mixed_precision,
            self.backup,
            self.csv_logger,
            self.tensorboard,
        ):
            form.addRow(box)
        settings = QGroupBox("Settings")
        settings.setLayout(form)

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
        self._resumable: Run | None = None
        self._resuming: Run | None = None  # the run a resume continues
        self.resume_dialog: ResumeDialog | None = None
        self.evaluate_button = QPushButton("Evaluate on test set")
        self.evaluate_button.setToolTip(
            "A stopped run is not evaluated; judge its best model on the test set"
        )
        self._stopped: object | None = None  # the SessionResult evaluate acts on
        self.evaluator: FunctionWorker | None = None
        self.progress = QProgressBar()
        self.status = QLabel(NO_DATA)
        self.status.setWordWrap(True)
        self.estimate = QLabel()
        self.estimate.setWordWrap(True)
        self.estimate.setObjectName("trainingEstimate")
        self.results = QLabel()
        self.results.setWordWrap(True)
        self.chart = TrainingChart()
        self.smooth = QCheckBox("Smooth curves (EMA 0.6)")
        self.smooth.toggled.connect(
            lambda on: self.chart.set_smoothing(0.6 if on else 0.0)
        )
        self.evaluation_view = EvaluationView()
        self.runs_panel = RunsPanel(store)
        self.runs_panel.resume_run.connect(self.resume_run)
        self._trained_on: Dataset | None = None

        left = QVBoxLayout()
        left.addWidget(_scrolling(settings, self.fine_tune_box), 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.stop_button)
        buttons.addWidget(self.resume_button)
        left.addLayout(buttons)
        left.addWidget(self.estimate)
        left.addWidget(self.progress)
        left.addWidget(self.status)
        left.addWidget(self.results)
        left.addWidget(self.evaluate_button)
        left.addWidget(self.smooth)
        panel = QWidget()
        panel.setLayout(left)
        panel.setFixedWidth(340)
        layout = QHBoxLayout(self)
        layout.addWidget(panel)
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(self.chart)
        self.bottom_tabs = QTabWidget()
        self.bottom_tabs.addTab(self.evaluation_view, "Results")
        self.bottom_tabs.addTab(self.runs_panel, "Runs")
        right.addWidget(self.bottom_tabs)
        right.setSizes([400, 380])
        layout.addWidget(right, 1)

        # Every number setting: its spin box and its TrainingConfig field.
        self.numbers = {
            "learning_rate": self.learning_rate,
            "batch_size": self.batch_size,
            "epochs": self.epochs,
            "patience": self.patience,
            "momentum": self.momentum,
            "weight_decay": self.weight_decay,
            "seed": self.seed,
            "fine_tune_epochs": self.fine_tune_epochs,
            "fine_tune_lr_factor": self.fine_tune_lr_factor,
            "fine_tune_last_n": self.fine_tune_last_n,
        }
        self.apply_config(self.config, emit=False)
        for combo in self.choices.values():
            combo.currentTextChanged.connect(self._on_form_changed)
        for w in self.numbers.values():
            w.valueChanged.connect(self._on_form_changed)
        self.fine_tune_box.toggled.connect(self._on_form_changed)
        self.fine_tune_from.editingFinished.connect(self._on_fine_tune_from_edited)
        for box in self.switches.values():
            box.toggled.connect(self._on_form_changed)
        self.start_button.clicked.connect(lambda: self.start())  # not "checked"
        self.stop_button.clicked.connect(self.stop)
        self.resume_button.clicked.connect(self.resume)
        self.evaluate_button.clicked.connect(self.evaluate)
        self._set_running(False)

    # ------------------------------------------------------------------ api
    def apply_config(self, config: TrainingConfig, emit: bool = True) -> None:
        """Show ``config`` (no undo entry); tells the window unless ``emit`` is off."""
        self.config = config
        widgets = (
            *self.switches.values(),
            *self.choices.values(),
            *self.numbers.values(),
            self.fine_tune_box,
            self.fine_tune_from,
        )
        for w in widgets:
            w.blockSignals(True)
        for name, combo in self.choices.items():
            combo.setCurrentText(getattr(config, name))
        for name, box in self.switches.items():
            box.setChecked(getattr(config, name))
        for name, spin in self.numbers.items():
            spin.setValue(getattr(config, name))
        self.fine_tune_box.setChecked(config.fine_tune)
        self.fine_tune_from.setText(config.fine_tune_from)
        for w in widgets:
            w.blockSignals(False)
        self._enable_optimizer_fields()
        if emit:
            self.config_changed.emit(config)

    def refresh_estimate(self) -> None:
        """Memory needed for the current model, data and batch size (instant)."""
        dataset = self._dataset()
        if dataset is None:
            self.estimate.setText("")
            return
        if not _tables_ready(self._spec()):
            self.estimate.setText(
                "Memory: estimated once the Model page has measured the backbone."
            )
            return
        cfg = self.config
        est = estimate_memory(
            self._spec(),
            dataset,
            cfg.batch_size,
            cfg.optimizer,
            cache=cfg.cache_data,
            gpu_available=self._gpu(),
        )
        text = f"Memory: {est.describe()}."
        if not est.fits:
            text = colours.span(f"{text} {est.advice()}", "error")
        self.estimate.setText(text)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.refresh_fine_tune()
        if self.worker is None:
            self.refresh_estimate()
            self.runs_panel.refresh()
            self.refresh_readiness()

    def is_running(self) -> bool:
        return self.worker is not None

    def start_problem(self) -> str | None:
        """What would refuse Start now: ``run_session``'s own pre-flight words."""
        spec, dataset = self._spec(), self._dataset()
        if dataset is not None and not _tables_ready(spec):
            return (
                "The backbone's layers are still being measured on the Model page "
                "(once per architecture and size); start again in a moment."
            )
        # Never build a backbone table here (GUI thread): the Model page does that.
        problems = preflight(spec, dataset, self.config, cached_only, self._gpu())
        return refusal(problems) or None

    def refresh_readiness(self) -> None:
        """Say before Start what would refuse it (a head that does not fit the data)."""
        busy = self.worker is not None or self.evaluator is not None
        if busy or not self.isVisible():
            return  # the status reports the running job
        problem = self.start_problem()
        if problem:
            self._show_refusal(problem)
        elif self._refused or self.status.text() == NO_DATA:
            self._refused = False
            dataset = self._dataset()
            sizes = " / ".join(
                f"{len(dataset.splits[k]):,} {k}"
                for k in ("train", "validation", "test")
            )
            self.status.setText(f"Ready: {dataset.name}, {sizes} images.")

    def resume(self) -> None:
        """Continue the stopped run: ask how far, then resume it."""
        if self._resumable is not None:
            self.resume_run(self._resumable)

    def resume_run(self, run: Run) -> None:
        """Ask (ResumeDialog) how far to continue ``run``, then resume it.

        From the Resume button (the run just stopped) or the Runs list (a
        stopped, failed or killed run).
        """
        if self.worker is not None or self.evaluator is not None:
            return
        if self.resume_dialog is not None:
            self.resume_dialog.deleteLater()  # one at a time, not one per resume
        dialog = ResumeDialog(run, self)
        dialog.accepted.connect(lambda: self._start_resume(run, dialog.changes()))
        self.resume_dialog = dialog
        dialog.open()

    def start(self) -> None:
        """Check what would make the run fail at once, then train off-thread."""
        if self.worker is not None or self.evaluator is not None:
            return
        spec, dataset = self._spec(), self._dataset()
        problem = self.start_problem()
        if problem:
            self._show_refusal(problem)
            self.failed.emit(problem)
            return
        cfg, aug, store = self.config, self._augmentation(), self._store()
        data_spec, bridge = self._dataset_spec(), self.bridge

        def job(progress, cancel):
            from core.training.session import run_session

            return run_session(
                spec,
                dataset,
                cfg,
                aug,
                bridge,
                cancel,
                store,
                spec.name,
                data_spec=data_spec,
            )

        self.chart.clear()
        self._run(job, resuming=None)

    def _start_resume(self, run: Run, changes: dict) -> None:
        """Resume ``run`` from its folder alone, with the dialog's ``changes``."""
        if self.worker is not None or self.evaluator is not None:
            return
        bridge = self.bridge

        def job(progress, cancel):
            from core.training.resume import resume_session

            return resume_session(run.path, **changes, listener=bridge, cancel=cancel)

        self._run(job, resuming=run)

    def _run(self, job, resuming: Run | None) -> None:
        self._resuming = resuming
        self._stopped = None
        self.results.clear()
        self.worker = FunctionWorker(job, heavy="Training")
        self.worker.finished.connect(self._on_worker_finished)
        self.worker.failed.connect(self._on_worker_failed)
        self._set_running(True)
        self.status.setText("Preparing (the first run loads TensorFlow)…")
        self.progress.setRange(0, 0)
        self.worker.start()

    def stop(self) -> None:
        if self.worker is not None:
            self.worker.request_stop()
            self.status.setText("Stopping after the current batch…")
            self.stop_button.setEnabled(False)

    def evaluate(self) -> None:
        """The stopped run's best model on its test set, off the GUI thread."""
        session = self._stopped
        if session is None or self.worker is not None or self.evaluator is not None:
            return
        run, dataset = session.run, session.dataset

        def job(progress, cancel):
            from core.training.evaluation import evaluate_run

            return evaluate_run(run, dataset, cancel)

        self.evaluator = FunctionWorker(job, heavy="Evaluation")
        self.evaluator.finished.connect(self._on_evaluator_finished)
        self.evaluator.failed.connect(self._on_evaluator_failed)
        self._set_running(False)
        self.results.setText("Evaluating on the test set…")
        self.evaluator.start()

    def shutdown(self) -> None:
        """Stop a run (after its current batch) and wait for it and any evaluation."""
        for worker in (self.worker, self.evaluator):
            if worker is not None:
                worker.request_stop()
                worker.wait(30_000)

    # ---------------------------------------------------------------- slots
    @Slot()
    def _on_form_changed(self) -> None:
        new = replace(
            self.config,
            fine_tune=self.fine_tune_box.isChecked(),
            fine_tune_from=self.fine_tune_from.text().strip(),
            **{name: spin.value() for name, spin in self.numbers.items()},
            **{name: combo.currentText() for name, combo in self.choices.items()},
            **{name: box.isChecked() for name, box in self.switches.items()},
        )
        self.undo_stack.push(
            SetPageConfig(self, new, "training", "Change training settings")
        )
        self.refresh_estimate()
        self.refresh_readiness()  # a batch size beyond the machine, say

    @Slot()
    def _on_fine_tune_from_edited(self) -> None:
        if self.fine_tune_from.text().strip() != self.config.fine_tune_from:
            self._on_form_changed()

    def refresh_fine_tune(self) -> None:
        """Phase 2 needs a backbone; without one the group is off and says why."""
        has_backbone = self._spec().backbone is not None
        self.fine_tune_box.setEnabled(has_backbone)
        self.fine_tune_box.setToolTip(
            "After the epochs above, unfreeze part of the backbone and train on at "
            "a lower learning rate, in the same run"
            if has_backbone
            else "Phase 2 fine-tunes a backbone: add one from the palette's "
            "Backbones on the Model page (e.g. the vgg16-cifar10-transfer preset)"
        )
        table = cached_table_for(self._spec())
        names = [row.name for row in table.rows] if table else []
        if self.layer_names.stringList() != names:
            self.layer_names.setStringList(names)
        self._enable_optimizer_fields()

    @Slot(int, int)
    def _on_bridge_phase_began(self, phase: int, epoch: int) -> None:
        if phase == 2:
            self.chart.set_phase_boundary(epoch)

    @Slot(float, str)
    def _on_bridge_estimated(self, seconds: float, device: str) -> None:
        self.refresh_estimate()
        self.estimate.setText(f"Device: {device}.<br>{self.estimate.text()}")
        self.estimate.setText(
            self.estimate.text() + f"<br>Time: about {_clock(seconds)} per epoch "
            "(training and validation), measured on a few batches; the first "
            "epoch also loads the images."
        )

    @Slot(float, str)
    def _on_bridge_downloading(self, fraction: float, message: str) -> None:
        if fraction > 0:
            self.progress.setRange(0, 1000)
            self.progress.setValue(round(fraction * 1000))
        self.status.setText(message[:1].upper() + message[1:] + "…")

    @Slot(int, int)
    def _on_bridge_began(self, total: int, steps: int) -> None:
        self._total, self._steps = total, max(steps, 1)
        run = self._resuming
        if run is None:
            self.chart.begin(total, self.config.checkpoint_monitor)
        else:  # the run's own curves so far, as cut back to where it resumes
            monitor = run.config().get("training", {}).get("checkpoint_monitor")
            self.chart.begin(total, monitor or self.config.checkpoint_monitor)
            history = run.history()
            for epoch in range(len(history.get("loss", []))):
                self.chart.add_epoch(epoch, {k: v[epoch] for k, v in history.items()})
            boundary = run.record().get("phase_boundary")
            if isinstance(boundary, int):
                self.chart.set_phase_boundary(boundary)
        self._started_at = time.monotonic()
        self.progress.setRange(0, total * self._steps)

    @Slot(int, int, object)
    def _on_bridge_batch_ended(self, epoch: int, batch: int, logs: dict) -> None:
        done = epoch * self._steps + batch + 1
        self.progress.setValue(done)
        self.chart.add_batch(epoch, batch, self._steps, logs)
        elapsed = time.monotonic() - self._started_at
        eta = elapsed / max(done, 1) * (self._total * self._steps - done)
        self.status.setText(
            f"epoch {epoch + 1}/{self._total} · batch {batch + 1}/{self._steps} · "
            f"{_clock(elapsed)} elapsed · about {_clock(eta)} left · "
            f"loss {logs.get('loss', float('nan')):.4f}"
        )

    @Slot(int, object)
    def _on_bridge_epoch_ended(self, epoch: int, logs: dict) -> None:
        self.chart.add_epoch(epoch, logs)

    @Slot(object)
    def _on_worker_finished(self, session) -> None:
        self.worker = None
        result, evaluation = session.result, session.evaluation
        self._resumable = session.run if result.cancelled else None
        self._trained_on = session.dataset
        self._stopped = session if result.cancelled and session.run else None
        self._set_running(False)
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
        self.status.setText(
            f"{result.epochs_run} epochs on {result.device} · {why}{best}"
        )
        if evaluation is not None:
            self._show_evaluation(evaluation, session.run)
        elif result.cancelled:
            self.results.setText(
                "Stopped: not evaluated on the test set."
                + (f"<br>run saved in {session.run.path}" if session.run else "")
            )
        self.runs_panel.refresh()
        self.finished.emit(session)

    def _show_evaluation(self, e, run: Run | None) -> None:
        saved = f"<br>run saved in {run.path}" if run else ""
        loss = "" if e.loss is None else f" · loss {e.loss:.4f}"
        k = shown_top_k(len(e.per_class), e.top_k)
        top = f" · top-{k} {e.top_k_accuracy:.3f}" if k else ""
        self.results.setText(
            f"<b>Test accuracy {e.accuracy:.3f}</b>{loss}{top} · "
            f"Cohen's kappa {e.kappa:.3f}{saved}"
        )
        if self._trained_on is not None:
            self.evaluation_view.show_evaluation(e, self._trained_on)

    @Slot(object)
    def _on_evaluator_finished(self, evaluation) -> None:
        self.evaluator = None
        run = self._stopped.run if self._stopped else None
        self._stopped = None
        self._set_running(False)
        self._show_evaluation(evaluation, run)
        self.runs_panel.refresh()
        self.evaluated.emit(evaluation)

    @Slot(str, str)
    def _on_evaluator_failed(self, message: str, details: str) -> None:
        self.evaluator = None
        self._set_running(False)
        self.results.setText(colours.span(f"Evaluation failed: {message}", "error"))
        self.failed.emit(message)

    @Slot(str, str)
    def _on_worker_failed(self, message: str, details: str) -> None:
        self.worker = None
        self._set_running(False)
        self.progress.setRange(0, 1)
        self.status.setText(colours.span(f"Training failed: {message}", "error"))
        self.runs_panel.refresh()  # a failed run's record says why
        self.failed.emit(message)

    def _gpu(self) -> int | None:
        """The GPU's free memory; nvidia-smi is asked once, not per edit."""
        if self._free_gpu is _UNKNOWN:
            self._free_gpu = free_gpu_memory()
        return self._free_gpu

    def _show_refusal(self, problem: str) -> None:
        self._refused = True
        self.status.setText(colours.span(problem, "error"))

    def _enable_optimizer_fields(self) -> None:
        """Momentum and Nesterov belong to SGD, weight decay to AdamW."""
        optimizer = self.config.optimizer
        self.momentum.setEnabled(optimizer == "sgd")
        self.nesterov.setEnabled(optimizer == "sgd")
        self.weight_decay.setEnabled(optimizer == "adamw")
        self.restore_best.setEnabled(self.config.early_stopping)
        self.patience.setEnabled(self.config.early_stopping)
        self.early_monitor.setEnabled(self.config.early_stopping)
        self.checkpoint_monitor.setEnabled(self.config.checkpoint)
        # Without its package only a project that asked for it can turn it off.
        on = self.config.tensorboard
        self.tensorboard.setEnabled(self.tensorboard_missing is None or on)
        # The group disables its fields when unchecked; enabling one here must
        # not undo that.
        mode = self.config.fine_tune_freeze if self.config.fine_tune else ""
        self.fine_tune_from.setEnabled(mode == "from_layer")
        self.fine_tune_last_n.setEnabled(mode == "last_n")

    def _set_running(self, running: bool) -> None:
        idle = not running and self.evaluator is None
        self.start_button.setEnabled(idle)
        self.stop_button.setEnabled(running)
        self.resume_button.setEnabled(idle and self._resumable is not None)
        self.evaluate_button.setEnabled(idle and self._stopped is not None)


def _tables_ready(spec: ModelSpec) -> bool:
    """False while a backbone's per-layer table is not cached yet."""
    return table_key(spec) is None or cached_table_for(spec) is not None


def _scrolling(*groups: QWidget) -> QScrollArea:
    """The settings groups in a scroll area, Start and the messages below it.

    The groups are taller than a 768-pixel screen has room for: they scroll,
    so the window never grows past the screen and Start stays in view.
    """
    inner = QWidget()
    column = QVBoxLayout(inner)
    column.setContentsMargins(0, 0, 0, 0)
    for group in groups:
        column.addWidget(group)
    column.addStretch(1)
    scroll = QScrollArea()
    scroll.setWidget(inner)
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QScrollArea.Shape.NoFrame)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    return scroll


def _clock(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    return f"{m}:{s:02d}"


def _spin(low: int, high: int) -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(low, high)
    return spin
