"""MainWindow: holds the open project's workspace and builds one page per area.

It holds no ML logic and no copy of a setting: the pages, the undo commands,
saving and autosave all work on one ``ProjectDocument``, and the title follows
its ``dirty`` event. The loaded images, the shown run and its model live in
the ``Workspace`` around the document, which resets them when the project, its
model or its data is replaced; the window connects the pages to its events.
File handling (``window_files``), the Presets menu (``window_presets``) and
model export (``window_export``) live in their own modules.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSize, Qt, QTimer, Slot
from PySide6.QtGui import QAction, QCloseEvent, QIcon, QKeySequence, QUndoStack
from PySide6.QtWidgets import (
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from core.backbone_table import cached_only
from core.document import ProjectDocument
from core.paths import resources_dir
from core.presets import all_presets
from core.recovery import clear_recovery
from core.run_model import recorded_tta, run_model
from core.workspace import RunModelInUse, Workspace
from desktop import colours, workers
from desktop.document_links import connect_while_alive
from desktop.pages.augmentation_page import AugmentationPage
from desktop.pages.model_page import ModelPage
from desktop.window_export import ModelExportMixin
from desktop.window_files import AUTOSAVE_MS, ProjectFilesMixin, app_settings
from desktop.window_presets import PresetsMixin

FRAME = QSize(16, 48)  # a window manager's title bar and borders, about
PAGES = (
    ("model", "Model", "Build the network layer by layer."),
    ("data", "Data", "Choose a built-in dataset or a folder of images per class."),
    ("augmentation", "Augmentation", "Preview random flips, rotations and zooms."),
    ("training", "Training", "Train with live curves, early stopping, checkpoints."),
    ("prediction", "Prediction", "Drop images to classify them and see Grad-CAM."),
    ("sweeps", "Sweeps", "Search settings: one run per trial, the best kept."),
)
PAGE_KEYS = tuple(key for key, _, _ in PAGES)


def default_size(room: QSize) -> QSize:
    """1280x800, or less on a screen with ``room`` (its available size) too small.

    The window's frame (title bar, borders) is outside this size, so it is
    left out of the room; every page's minimum fits a 1366x768 screen.
    """
    return QSize(
        min(1280, room.width() - FRAME.width()),
        min(800, room.height() - FRAME.height()),
    )


class MainWindow(ProjectFilesMixin, PresetsMixin, ModelExportMixin, QMainWindow):
    """The application window: a page list on the left, the current page right."""

    def __init__(self) -> None:
        super().__init__()
        self.settings = app_settings()
        self._painted_palette = self.palette()  # what the app's colours assume
        # Summaries on the GUI thread never build a backbone; the Model page
        # measures a missing one on a worker and then re-summarises.
        self.document = ProjectDocument(tables=cached_only)
        self.workspace = Workspace(self.document)
        self.undo_stack = QUndoStack(self)
        self.data_page = None  # built after the first paint: it loads pyqtgraph
        self.training_page = None  # built with the Data page
        self.prediction_page = None
        self.sweeps_page = None  # built with the Data page

        self.pages = QStackedWidget()
        self.navigation = QListWidget()
        self.navigation.setObjectName("navigation")
        self.navigation.setIconSize(QSize(22, 22))
        self.model_page = ModelPage(self.document, self.undo_stack)
        self.augmentation_page = AugmentationPage(self.document, self.undo_stack)
        built = {"model": self.model_page, "augmentation": self.augmentation_page}
        for key, title, blurb in PAGES:
            page = built.get(key) or _placeholder(title, blurb)
            page.setObjectName(f"{key}Page")
            self.pages.addWidget(page)
            item = QListWidgetItem(_icon(key), title)
            item.setToolTip(blurb)
            self.navigation.addItem(item)
        self.navigation.currentRowChanged.connect(self.pages.setCurrentIndex)
        self.navigation.currentRowChanged.connect(self._on_page_shown)
        self.navigation.setCurrentRow(0)
        self.navigation.setFixedWidth(150)

        splitter = QSplitter()
        splitter.addWidget(self.navigation)
        splitter.addWidget(self.pages)
        splitter.setStretchFactor(1, 1)
        splitter.setChildrenCollapsible(False)
        # The list has a fixed width, but its slot starts at its size hint
        # (256 px): without this an empty band lies between list and page.
        splitter.setSizes([self.navigation.width(), 1])
        self.setCentralWidget(splitter)

        self._build_menus()
        self.statusBar().showMessage("Ready", 3000)
        events = self.document.events
        connect_while_alive(
            self,
            [
                (events.dirty, self._update_title),
                (events.name, self._update_title),
                (events.path, self._on_document_path),
            ],
        )
        self._autosave = QTimer(self)
        self._autosave.setInterval(AUTOSAVE_MS)
        self._autosave.timeout.connect(self.autosave)
        self._autosave.start()
        self._restore_layout()
        self._update_title()

    # ----------------------------------------------------------------- menus
    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self._add(file_menu, "&New", QKeySequence.StandardKey.New, self.new_project)
        self._add(file_menu, "&Open…", QKeySequence.StandardKey.Open, self.open_dialog)
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        file_menu.addSeparator()
        self._add(file_menu, "&Save", QKeySequence.StandardKey.Save, self.save)
        self._add(file_menu, "Save &As…", QKeySequence.StandardKey.SaveAs, self.save_as)
        file_menu.addSeparator()
        self.import_action = self._add(
            file_menu, "&Import model…", "Ctrl+I", self.import_model
        )
        self.export_action = self._add(
            file_menu, "&Export model…", "Ctrl+E", self.export_model
        )
        file_menu.addSeparator()
        self._add(file_menu, "&Quit", QKeySequence.StandardKey.Quit, self.close)

        edit_menu = self.menuBar().addMenu("&Edit")
        undo = self.undo_stack.createUndoAction(self, "&Undo")
        undo.setShortcut(QKeySequence.StandardKey.Undo)
        redo = self.undo_stack.createRedoAction(self, "&Redo")
        redo.setShortcut(QKeySequence.StandardKey.Redo)
        edit_menu.addActions([undo, redo])
        edit_menu.addSeparator()
        edit_menu.addActions(self.model_page.actions_for_menu())
        self.undo_action, self.redo_action = undo, redo

        presets_menu = self.menuBar().addMenu("&Presets")
        for name, p in all_presets().items():
            action = presets_menu.addAction(f"{p.title}  ({name})")
            action.setToolTip(p.description)
            action.triggered.connect(lambda _=False, n=name: self.choose_preset(n))

        view_menu = self.menuBar().addMenu("&View")
        for i, (key, title, _) in enumerate(PAGES):
            action = view_menu.addAction(title)
            action.setShortcut(QKeySequence(f"Ctrl+{i + 1}"))
            action.triggered.connect(lambda _=False, k=key: self.show_page(k))

        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction("&About CNN Workbench", self._about)

    def _add(self, menu, text: str, shortcut, slot) -> QAction:
        action = menu.addAction(text)
        action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(lambda _=False: slot())
        return action

    # ----------------------------------------------------------------- pages
    def show_page(self, key: str) -> None:
        """Show the page named ``key`` ("model", "data", ...)."""
        self.navigation.setCurrentRow(PAGE_KEYS.index(key))

    def _on_page_shown(self, row: int) -> None:
        # Training needs the images: going straight there loads the project's
        # data as visiting the Data page would (first start, an opened project).
        if PAGE_KEYS[row] in ("training", "sweeps") and self.data_page is not None:
            self.data_page.load_pending()

    def ensure_data_page(self):
        """Build the Data, Training and Prediction pages once, in their places."""
        if self.data_page is None:
            from desktop.pages.dataset_page import DatasetPage

            page = DatasetPage(self.workspace, self.undo_stack)
            self._replace_page("data", page)
            page.working.connect(self.statusBar().showMessage)
            page.dataset_loaded.connect(lambda _dataset: self.show_hint())
            page.load_failed.connect(lambda _message: self.statusBar().clearMessage())
            page.image_picked.connect(self.augmentation_page.set_image)
            self.data_page = page
            self._build_training_page()
            page.working.connect(self.training_page.show_loading)
            page.load_failed.connect(self.training_page.loading_ended)
            page.load_cancelled.connect(self.training_page.loading_ended)
            self._build_prediction_page()
            self._build_sweeps_page()
            self._follow_workspace()
        return self.data_page

    def _follow_workspace(self) -> None:
        """Each page follows the workspace: its data, the shown run, a reset."""
        events = self.workspace.events
        augmentation, training = self.augmentation_page, self.training_page
        connect_while_alive(augmentation, [(events.dataset, augmentation.set_dataset)])
        connect_while_alive(
            training,
            [
                (events.dataset, training.set_dataset),
                (events.run_moved, training.run_moved),
            ],
        )
        connect_while_alive(
            self,
            [
                (events.reset, self._on_workspace_reset),
                (events.run_model, self._on_workspace_run_model),
            ],
        )

    def _build_training_page(self) -> None:
        from desktop.pages.training_page import TrainingPage

        workspace = self.workspace
        page = TrainingPage(
            self.document,
            self.undo_stack,
            dataset=lambda: workspace.dataset,
            store=workspace.run_store,
        )
        self._replace_page("training", page)
        self.training_page = page
        page.bridge.began.connect(lambda *_: self.drop_hint())
        page.results_panel.data_quality_view.listed.connect(
            lambda text: self.statusBar().showMessage(text, 8000)
        )

    def _build_prediction_page(self) -> None:
        from desktop.pages.prediction_page import PredictionPage

        page = PredictionPage()
        self._replace_page("prediction", page)
        self.prediction_page = page
        self.training_page.finished.connect(self._on_training_finished)
        runs_panel = self.training_page.results_panel.runs_panel
        runs_panel.open_model.connect(self._on_run_model_opened)
        page.export_requested.connect(self.export_model)
        page.model_changed.connect(self.forget_run_model_load)  # a load is stale
        runs_panel.export_model.connect(self._on_run_model_export)
        calibration = self.training_page.results_panel.calibration_view
        calibration.calibrated.connect(self._on_run_calibrated)
        page.message.connect(lambda text: self.statusBar().showMessage(text, 8000))

    def _build_sweeps_page(self) -> None:
        from desktop.pages.sweeps_page import SweepsPage

        workspace = self.workspace
        page = SweepsPage(
            self.document,
            self.undo_stack,
            dataset=lambda: workspace.dataset,
            store=workspace.run_store,
        )
        self._replace_page("sweeps", page)
        self.sweeps_page = page
        connect_while_alive(page, [(workspace.events.dataset, page.set_dataset)])

    def _replace_page(self, key: str, page: QWidget) -> None:
        """Put a page built after the first paint where its placeholder was."""
        index = PAGE_KEYS.index(key)
        page.setObjectName(f"{key}Page")
        placeholder = self.pages.widget(index)
        self.pages.insertWidget(index, page)
        self.pages.removeWidget(placeholder)
        placeholder.deleteLater()
        if self.navigation.currentRow() == index:
            self.pages.setCurrentIndex(index)

    # ------------------------------------------------ the document's events
    def _on_document_path(self) -> None:
        # Saved: the runs now live beside the file (the first save moved them).
        if self.training_page is not None:
            self.training_page.results_panel.runs_panel.refresh()

    @Slot(object)
    def _on_training_finished(self, session) -> None:
        workspace = self.workspace
        # Files the run could not decode: added here, on the data's own thread.
        workspace.merge_skipped(session.dataset, session.skipped)
        workspace.show_run(session.run)
        if workspace.adopt_untitled_runs():  # saved while it trained
            self.training_page.results_panel.runs_panel.refresh()
        # A resumed run's data is its own; a run that kept no model offers none.
        if session.dataset is not None and session.model is not None:
            kept = run_model(session.run.path) if session.run else None
            workspace.set_run_model(
                RunModelInUse(
                    session.model,
                    tuple(session.dataset.class_names),
                    f"last run · {kept.label}" if kept else "last run",
                    recorded_tta(session.run.path) if session.run else "none",
                )
            )

    def _on_workspace_reset(self) -> None:
        """Another project, model or data: no page keeps anything of the last.

        The Prediction page drops its model (imported too) and images; the
        Augmentation page previews the data still loaded, if it is the new
        project's (else, until the new data loads, nothing).
        """
        self.training_page.show_run(None)
        self.prediction_page.clear()
        self.augmentation_page.set_dataset(self.workspace.dataset)

    def _on_workspace_run_model(self, model: RunModelInUse | None) -> None:
        """The project's run model on the Prediction page (None: the reset
        before it cleared the page)."""
        if model is not None:
            self.prediction_page.set_model(
                model.model, list(model.class_names), model.label, tta=model.tta
            )

    @Slot(str, object)
    def _on_run_calibrated(self, folder: str, calibration) -> None:
        """The Prediction page predicts at a run's new temperature when it
        shows that run's model (the last run's, or one opened from its folder)."""
        from pathlib import Path

        from core.run_model import FILES

        page, run = self.prediction_page, Path(folder)
        shown = page.model_source.split(" · ")[0] if page.model is not None else ""
        if page.model_origin == "project" and shown in (run.name, "last run"):
            self.open_run_model(run / FILES[calibration.model])

    @Slot(str)
    def _on_run_model_opened(self, path: str) -> None:
        self.open_run_model(path)
        self.show_page("prediction")

    # ------------------------------------------------------ window state
    def _update_title(self) -> None:
        self.setWindowTitle(f"{self.document.name}[*] — CNN Workbench")
        self.setWindowModified(self.document.dirty)

    def _ask_stop_training(self) -> bool:
        answer = QMessageBox.question(
            self,
            "Training is running",
            "Stop training and close? The best model so far and the history are kept.",
        )
        return answer == QMessageBox.StandardButton.Yes

    def _ask_stop_sweep(self) -> bool:
        answer = QMessageBox.question(
            self,
            "A sweep is running",
            "Stop the sweep and close? Its trials so far are kept, and Continue "
            "on the Sweeps page goes on where it stopped.",
        )
        return answer == QMessageBox.StandardButton.Yes

    def _ask_stop_job(self, busy: str) -> bool:
        answer = QMessageBox.question(
            self,
            f"{busy} is running",
            f"{busy} is running. Stop it and close? What it has not finished "
            "is dropped; what was saved before stays as it was.",
        )
        return answer == QMessageBox.StandardButton.Yes

    def _about(self) -> None:
        QMessageBox.about(
            self,
            "About CNN Workbench",
            "CNN Workbench: build, train, inspect and export Keras convolutional "
            "image classifiers without writing code.",
        )

    def _restore_layout(self) -> None:
        geometry = self.settings.value("window/geometry")
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(default_size(self.screen().availableGeometry().size()))
        state = self.settings.value("window/state")
        if state is not None:
            self.restoreState(state)
        key = str(self.settings.value("window/page", "model"))
        self.show_page(key if key in PAGE_KEYS else "model")

    def changeEvent(self, event: QEvent) -> None:
        """A new palette (a desktop's dark theme switched on): restyle.

        A new application palette reaches the window as a PaletteChange (Qt
        6.11). Under the app's style sheet Qt keeps painting most widgets
        (lists, tables, the menu bar) with the palette they were polished
        with, so this window's widgets are polished again, which sends this
        event again, now with nothing left to change. Only this window's: the
        application's sheet applied again re-polished every widget of the
        process, other windows' half-closed ones too, and crashed there (a
        segfault under pytest-xdist when a test's window outlived it).
        """
        if event.type() == QEvent.Type.PaletteChange:
            after = self.palette()
            if after != self._painted_palette:
                before, self._painted_palette = self._painted_palette, after
                colours.restyle(self, before, after)
                style = self.style()
                for widget in [self, *self.findChildren(QWidget)]:
                    style.unpolish(widget)
                    style.polish(widget)
        super().changeEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        training = self.training_page is not None and self.training_page.is_running()
        if training and not self._ask_stop_training():
            event.ignore()
            return
        sweeping = self.sweeps_page is not None and self.sweeps_page.is_running()
        if sweeping and not self._ask_stop_sweep():
            event.ignore()
            return
        busy = workers.heavy_job()  # a report, a calibration, an export…
        if busy and not (training or sweeping) and not self._ask_stop_job(busy):
            event.ignore()
            return
        if not self.confirm_discard():
            event.ignore()
            return
        for page in (
            self.data_page,
            self.augmentation_page,
            self.training_page,
            self.prediction_page,
            self.sweeps_page,
            self.export_dialog,
        ):
            if page is not None:
                page.shutdown()
        workers.stop_all()
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        self.settings.setValue("window/page", PAGE_KEYS[self.navigation.currentRow()])
        self.settings.sync()
        clear_recovery()
        event.accept()


def _icon(key: str) -> QIcon:
    return QIcon(str(resources_dir() / "icons" / f"{key}.svg"))


def _placeholder(title: str, blurb: str) -> QWidget:
    """An honest empty page for areas this build does not have yet."""
    page = QWidget()
    layout = QVBoxLayout(page)
    layout.addStretch(1)
    heading = QLabel(
        f"<h2>{title}</h2><p>{blurb}</p><p><i>Not available in this build yet.</i></p>"
    )
    heading.setAlignment(Qt.AlignmentFlag.AlignCenter)
    heading.setObjectName("placeholder")
    layout.addWidget(heading)
    layout.addStretch(2)
    return page
