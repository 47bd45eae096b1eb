"""MainWindow: owns the open project's core objects and wires the pages to them.

It holds no ML logic. It keeps the project's LayerStack and QUndoStack, builds
one page per area, and does the file handling a user expects: New/Open/Save,
recent files, an unsaved-changes mark and prompt, a remembered layout, and an
autosaved recovery file offered after a crash.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QSettings, QSize, Qt, QTimer, Slot
from PySide6.QtGui import QAction, QCloseEvent, QIcon, QKeySequence, QUndoStack
from PySide6.QtWidgets import (
    QFileDialog,
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
from core.data.spec import DatasetSpec
from core.document import ProjectDocument
from core.errors import WorkbenchError
from core.layer_stack import LayerStack
from core.paths import resources_dir, user_data_dir
from core.presets import Preset, all_presets
from core.project import SUFFIX, Project, load_project, save_project, starter_project
from core.recovery import clear_recovery, read_recovery, write_recovery
from core.runs import RunStore, newest_run_model
from desktop import workers
from desktop.error_dialog import show_error
from desktop.pages.augmentation_page import AugmentationPage
from desktop.pages.model_page import ModelPage
from desktop.undo_commands import SetRecipe, SetSpec

log = logging.getLogger(__name__)

MAX_RECENT = 8
AUTOSAVE_MS = 30_000
FILE_FILTER = f"CNN Workbench projects (*{SUFFIX});;All files (*)"
FRAME = QSize(16, 48)  # a window manager's title bar and borders, about
PAGES = (
    ("model", "Model", "Build the network layer by layer."),
    ("data", "Data", "Choose a built-in dataset or a folder of images per class."),
    ("augmentation", "Augmentation", "Preview random flips, rotations and zooms."),
    ("training", "Training", "Train with live curves, early stopping, checkpoints."),
    ("prediction", "Prediction", "Drop images to classify them and see Grad-CAM."),
)


def default_size(room: QSize) -> QSize:
    """1280x800, or less on a screen with ``room`` (its available size) too small.

    The window's frame (title bar, borders) is outside this size, so it is
    left out of the room; every page's minimum fits a 1366x768 screen.
    """
    return QSize(
        min(1280, room.width() - FRAME.width()),
        min(800, room.height() - FRAME.height()),
    )


def app_settings() -> QSettings:
    """Settings in the user data folder, so tests and portable installs stay apart."""
    return QSettings(str(user_data_dir() / "settings.ini"), QSettings.Format.IniFormat)


def _in_document(name: str) -> property:
    """A window setting kept in ``self.document`` (interim, #14; see __init__)."""
    return property(
        lambda self: getattr(self.document, name),
        lambda self, value: getattr(self.document, f"set_{name}")(value),
    )


class MainWindow(QMainWindow):
    """The application window: a page list on the left, the current page right."""

    training = _in_document("training")
    augmentation = _in_document("augmentation")
    dataset_spec = _in_document("dataset")

    def __init__(self) -> None:
        super().__init__()
        self.settings = app_settings()
        # Summaries on the GUI thread never build a backbone; the Model page
        # measures a missing one on a worker and then re-summarises.
        self.stack = LayerStack(tables=cached_only)
        self.undo_stack = QUndoStack(self)
        self.path: Path | None = None
        self.project_name = "Untitled"
        # Interim (#14): the Training page reads the project document, so the
        # settings below live in it (see _in_document) and the model is copied
        # into it on every change, until the window keeps its project there.
        self.document = ProjectDocument(tables=cached_only)
        self.training_page = None  # built after the first paint, like the Data page
        self.prediction_page = None
        self.export_dialog = None
        self.dataset_offer: QMessageBox | None = None  # after a preset's loaded
        self.recipe_question: QMessageBox | None = None  # before a recipe replaces all

        self.pages = QStackedWidget()
        self.navigation = QListWidget()
        self.navigation.setObjectName("navigation")
        self.navigation.setIconSize(QSize(22, 22))
        self.model_page = ModelPage(self.stack, self.undo_stack)
        self.model_page.model.stack_changed.connect(
            lambda: self.document.set_spec(self.stack.spec)
        )
        self._input_and_head_to_stack()
        self.data_page = None  # built after the first paint: it loads pyqtgraph
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
        self.navigation.setCurrentRow(0)
        self.navigation.setFixedWidth(150)

        splitter = QSplitter()
        splitter.addWidget(self.navigation)
        splitter.addWidget(self.pages)
        splitter.setStretchFactor(1, 1)
        splitter.setChildrenCollapsible(False)
        self.setCentralWidget(splitter)

        self._build_menus()
        self.statusBar().showMessage("Ready", 3000)
        self.undo_stack.cleanChanged.connect(self._on_clean_changed)
        self.document.events.dirty.connect(self._update_title)
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
        for i, (_, title, _) in enumerate(PAGES):
            action = view_menu.addAction(title)
            action.setShortcut(QKeySequence(f"Ctrl+{i + 1}"))
            action.triggered.connect(
                lambda _=False, row=i: self.navigation.setCurrentRow(row)
            )

        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction("&About CNN Workbench", self._about)

    def _add(self, menu, text: str, shortcut, slot) -> QAction:
        action = menu.addAction(text)
        action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(lambda _=False: slot())
        return action

    # -------------------------------------------------------------- session
    def ensure_data_page(self):
        """Build the Data page once, replacing its placeholder."""
        if self.data_page is None:
            from desktop.pages.dataset_page import DatasetPage

            page = DatasetPage(self.document, self.undo_stack)
            page.setObjectName("dataPage")
            self._replace_page(1, page)
            page.dataset_loaded.connect(self.augmentation_page.set_dataset)
            page.image_picked.connect(self.augmentation_page.set_image)
            self._build_training_page()
            self._build_prediction_page()
            page.dataset_loaded.connect(
                lambda _dataset: self.training_page.refresh_readiness()
            )
            self.data_page = page
        return self.data_page

    def _build_training_page(self) -> None:
        from desktop.pages.training_page import TrainingPage

        page = TrainingPage(
            self.document,
            self.undo_stack,
            dataset=lambda: self.data_page.dataset() if self.data_page else None,
            store=self.run_store,
        )
        page.setObjectName("trainingPage")
        self._replace_page(3, page)
        self.training_page = page

    def _build_prediction_page(self) -> None:
        from desktop.pages.prediction_page import PredictionPage

        page = PredictionPage()
        page.setObjectName("predictionPage")
        self._replace_page(4, page)
        self.prediction_page = page
        self.training_page.finished.connect(self._on_training_finished)
        runs_panel = self.training_page.results_panel.runs_panel
        runs_panel.open_model.connect(self._on_run_model_opened)
        page.export_requested.connect(self.export_model)
        runs_panel.export_model.connect(self._on_run_model_export)
        page.message.connect(lambda text: self.statusBar().showMessage(text, 8000))

    @Slot(object)
    def _on_training_finished(self, session) -> None:
        dataset = self.data_page.dataset() if self.data_page else None
        if dataset is not None:
            self.data_page.show_skipped(dataset)  # files training could not decode
        if session.dataset is not None:  # a resumed run's data is its own
            self.prediction_page.set_model(
                session.model, session.dataset.class_names, "last run"
            )

    @Slot(str)
    def _on_run_model_opened(self, path: str) -> None:
        self.prediction_page.open_model(path, origin="project")
        self.navigation.setCurrentRow(4)

    # ------------------------------------------------------ import / export
    def import_model(self) -> None:
        """File > Import model…: a model made elsewhere, on the Prediction page."""
        self.ensure_data_page()
        self.navigation.setCurrentRow(4)
        self.prediction_page.import_dialog()

    def export_model(self, source=None):
        """File > Export model…: the dialog, for the open model and the project."""
        from desktop.export_dialog import ExportDialog

        self.ensure_data_page()
        if self.export_dialog is not None and self.export_dialog.is_busy():
            self.export_dialog.raise_()
            return self.export_dialog
        folder = self.path.parent if self.path else Path.home()
        dialog = ExportDialog(source or self.export_source(), folder, self)
        dialog.exported.connect(
            lambda path: self.statusBar().showMessage(f"Exported {path}", 8000)
        )
        if self.export_dialog is not None:
            self.export_dialog.deleteLater()  # idle: it would keep its model alive
        self.export_dialog = dialog
        dialog.open()
        return dialog

    def export_source(self):
        """The model on the Prediction page, else the newest run's; the project."""
        from desktop.export_dialog import ExportSource

        page = self.prediction_page
        source = ExportSource(name=self.project_name)
        if page is not None and page.model is not None:
            source.model, source.class_names = page.model, page.class_names
            if page.model_origin == "import":
                source.name = Path(page.model_source).stem or "model"
                return source
        else:
            try:
                found = newest_run_model(self.run_store())
            except WorkbenchError as exc:
                source.no_model_reason = str(exc)
                found = None
            if found is not None:
                source.model, source.class_names = found
        source.project = (
            self.stack.spec,
            self.dataset_spec,
            self.training,
            self.augmentation,
        )
        return source

    @Slot(str)
    def _on_run_model_export(self, path: str) -> None:
        """Runs tab > Export model…: that run's model, with the project."""
        from core.inference.export import read_class_names
        from core.inference.loading import load_model_file
        from desktop.export_dialog import ExportSource

        try:
            model, names = load_model_file(path), read_class_names(path)
        except WorkbenchError as exc:
            show_error(self, "Cannot export this run", str(exc))
            return
        run = Path(path).parent.name
        source = ExportSource(model, names, f"{self.project_name}-{run}")
        source.project = (
            self.stack.spec,
            self.dataset_spec,
            self.training,
            self.augmentation,
        )
        self.export_model(source)

    def _replace_page(self, index: int, page: QWidget) -> None:
        """Put a page built after the first paint where its placeholder was."""
        placeholder = self.pages.widget(index)
        self.pages.insertWidget(index, page)
        self.pages.removeWidget(placeholder)
        placeholder.deleteLater()
        if self.navigation.currentRow() == index:
            self.pages.setCurrentIndex(index)

    def run_store(self) -> RunStore:
        """Runs live beside the project file; unsaved projects use the data folder."""
        if self.path is not None:
            return RunStore.beside(self.path)
        return RunStore(user_data_dir() / "runs" / "untitled")

    def _input_and_head_to_stack(self) -> None:
        """The Data page's ApplyDataset (and its undo) reach the Model page's stack."""
        stack = self.stack

        def input_to_stack(value) -> None:
            if stack.spec.input != value:
                stack.set_input(value)

        def head_to_stack(value) -> None:
            if stack.spec.head != value:
                stack.set_head(value)

        self.document.events.input.connect(input_to_stack)
        self.document.events.head.connect(head_to_stack)

    @Slot(bool)
    def _on_clean_changed(self, clean: bool) -> None:
        if clean:  # undone back to the saved state
            self.document.mark_clean()
        self._update_title()

    def start_session(self, path: str | None = None) -> None:
        """Open ``path``, else offer a crash recovery, else the starter project."""
        self.ensure_data_page()
        if path:
            self.open_project(path)
            return
        recovery = read_recovery()
        if recovery is not None and self._ask_restore(recovery.saved_at):
            self._set_project(recovery.project, None)
            self.path = Path(recovery.original_path) if recovery.original_path else None
            self.undo_stack.resetClean()
            self._mark_dirty()
            self.statusBar().showMessage("Restored the autosaved project", 5000)
            return
        clear_recovery()
        self.new_project(ask=False)

    def new_project(self, ask: bool = True) -> None:
        if ask and not self.confirm_discard():
            return
        self._set_project(starter_project(), None)

    def open_dialog(self) -> None:
        if not self.confirm_discard():
            return
        start = str(self.path.parent) if self.path else str(Path.home())
        path, _ = QFileDialog.getOpenFileName(self, "Open project", start, FILE_FILTER)
        if path:
            self.open_project(path, ask=False)

    def open_project(self, path: str | Path, ask: bool = True) -> bool:
        if ask and not self.confirm_discard():
            return False
        try:
            project = load_project(path)
        except WorkbenchError as exc:
            show_error(self, "Cannot open project", str(exc))
            self._forget_recent(str(path))
            return False
        self._set_project(project, Path(path))
        self._remember_recent(str(Path(path).resolve()))
        self.statusBar().showMessage(f"Opened {path}", 5000)
        return True

    def save(self) -> bool:
        if self.path is None:
            return self.save_as()
        return self._write(self.path)

    def save_as(self) -> bool:
        start = str(self.path or Path.home() / f"{self.project_name}{SUFFIX}")
        path, _ = QFileDialog.getSaveFileName(self, "Save project", start, FILE_FILTER)
        if not path:
            return False
        if not path.endswith(".json"):
            path += SUFFIX
        return self._write(Path(path))

    def choose_preset(self, name: str) -> None:
        """The Presets menu: a whole recipe after a question, else the model.

        A preset that carries its recipe (format version 2) replaces the
        model, the dataset, augmentation and training settings: the window
        asks first (``recipe_question``, non-blocking), then loads all four
        as one undoable step. An older preset loads its model
        (``load_preset``).
        """
        preset = all_presets()[name]
        if preset.training is None:
            self.load_preset(name)
            return
        data = preset.project().dataset
        where = f"{data.title}, {data.validation_fraction:.0%} for validation"
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Load the preset's recipe?",
            f"“{preset.title}” replaces the model, the data ({where}), the "
            "augmentation and the training settings of this project; Undo brings "
            f"them back.\n\n{preset.description}",
            parent=self,
        )
        load = box.addButton("Load preset", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(load)
        load.clicked.connect(lambda: self.load_recipe(name))
        if self.recipe_question is not None:  # an earlier one, unanswered
            self.recipe_question.close()
            self.recipe_question.deleteLater()
        self.recipe_question = box
        box.open()  # window-modal, without a nested event loop

    def load_recipe(self, name: str) -> None:
        """The preset's model, data, augmentation and training: one undo step."""
        recipe = replace(all_presets()[name].project(), name=self.project_name)
        self.undo_stack.push(
            SetRecipe(self._show_recipe, self.project(), recipe, f"Load preset {name}")
        )
        self.navigation.setCurrentRow(0)

    def _show_recipe(self, project: Project) -> None:
        """Show ``project``'s model and settings on every page (no undo entry).

        The data page only remembers the dataset; it loads when shown.
        """
        self.stack.set_spec(project.model)
        self.dataset_spec = project.dataset
        self.augmentation = project.augmentation
        self.training = project.training

    def load_preset(self, name: str) -> None:
        """Undoable: a preset replaces the model, as any other edit.

        When the preset was made for other data than the loaded one, the
        window offers that data too (``dataset_offer``, a non-blocking
        question); until model and data agree the Training page says why it
        will not start.
        """
        preset = all_presets()[name]
        self.undo_stack.push(SetSpec(self.stack, preset.spec, f"Load preset {name}"))
        self.navigation.setCurrentRow(0)
        if not _has_dataset_of(self.dataset_spec, preset):
            self._offer_dataset(preset)

    def _offer_dataset(self, preset: Preset) -> None:
        folder = preset.dataset == "folder"
        wanted = (
            "a folder of images with one sub-folder per class"
            if folder
            else f"the {preset.dataset} dataset"
        )
        current = (
            f"the project uses {self.dataset_spec.title}"
            if self.dataset_spec
            else "no data is loaded"
        )
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Load the preset's data?",
            f"“{preset.title}” was made for {wanted}; {current}. Load its data too?",
            parent=self,
        )
        load = box.addButton(
            "Choose folder…" if folder else f"Load {preset.dataset}",
            QMessageBox.ButtonRole.AcceptRole,
        )
        box.addButton("Keep the current data", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(load)
        load.clicked.connect(lambda: self._load_dataset_of(preset))
        if self.dataset_offer is not None:  # an earlier preset's, unanswered
            self.dataset_offer.close()
            self.dataset_offer.deleteLater()
        self.dataset_offer = box
        box.open()  # window-modal, without a nested event loop

    def _load_dataset_of(self, preset: Preset) -> None:
        """Load the data ``preset`` names, at the preset's input size."""
        h, w, c = preset.spec.input.shape
        current = self.dataset_spec or DatasetSpec()
        split = {
            "validation_fraction": current.validation_fraction,
            "test_fraction": current.test_fraction,
            "seed": current.seed,
        }
        if preset.dataset == "folder":
            path = QFileDialog.getExistingDirectory(
                self, f"Images for {preset.title}: one sub-folder per class"
            )
            if not path:
                return
            # Photos come in mixed sizes: the preset's own input size, as it says.
            spec = DatasetSpec(
                kind="folder",
                name=Path(path).name,
                path=path,
                image_size=(h, w),
                channels=c,
                **split,
            )
        else:
            spec = DatasetSpec(name=preset.dataset, **split)
        page = self.ensure_data_page()
        self.navigation.setCurrentRow(1)
        page.load_spec(spec)

    def project(self, name: str | None = None) -> Project:
        """The open project as core sees it (what Save writes)."""
        return Project(
            name=name or self.project_name,
            model=self.stack.spec,
            dataset=self.dataset_spec,
            augmentation=self.augmentation,
            training=self.training,
        )

    def is_dirty(self) -> bool:
        # The document also knows of changes with no undo step (a moved folder).
        return not self.undo_stack.isClean() or self.document.dirty

    def _write(self, path: Path) -> bool:
        name = path.name.removesuffix(SUFFIX).removesuffix(".json")
        try:
            save_project(self.project(name), path)
        except OSError as exc:
            show_error(self, "Cannot save project", f"{path}: {exc.strerror or exc}")
            return False
        self.path, self.project_name = path, name
        self.undo_stack.setClean()
        self.document.mark_clean()
        clear_recovery()
        self._remember_recent(str(path.resolve()))
        self._update_title()
        self.statusBar().showMessage(f"Saved {path}", 5000)
        return True

    def _set_project(self, project: Project, path: Path | None) -> None:
        self._show_recipe(project)
        self.undo_stack.clear()
        self.document.mark_clean()
        self.path, self.project_name = path, project.name
        self._update_title()

    def _mark_dirty(self) -> None:
        """Make a restored project count as unsaved (it is not on disk yet)."""
        self.undo_stack.push(SetSpec(self.stack, self.stack.spec, "Restore autosave"))

    # -------------------------------------------------------------- prompts
    def confirm_discard(self) -> bool:
        """True when there is nothing unsaved, or the user saved or discarded it."""
        if not self.is_dirty():
            return True
        answer = self._ask_save_changes()
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard

    def _ask_save_changes(self) -> QMessageBox.StandardButton:
        buttons = (
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel
        )
        return QMessageBox.question(
            self,
            "Unsaved changes",
            f"Save the changes to “{self.project_name}” before closing it?",
            buttons,
            QMessageBox.StandardButton.Save,
        )

    def _ask_restore(self, saved_at: str) -> bool:
        answer = QMessageBox.question(
            self,
            "Restore unsaved work?",
            "CNN Workbench did not close normally last time.\n"
            f"An autosaved project from {saved_at} was found. Restore it?",
        )
        return answer == QMessageBox.StandardButton.Yes

    def _ask_stop_training(self) -> bool:
        answer = QMessageBox.question(
            self,
            "Training is running",
            "Stop training and close? The best model so far and the history are kept.",
        )
        return answer == QMessageBox.StandardButton.Yes

    def _about(self) -> None:
        QMessageBox.about(
            self,
            "About CNN Workbench",
            "CNN Workbench: build, train, inspect and export Keras convolutional "
            "image classifiers without writing code.",
        )

    # -------------------------------------------------------- recent files
    def recent_files(self) -> list[str]:
        value = self.settings.value("recent", [])
        return [value] if isinstance(value, str) else list(value or [])

    def _remember_recent(self, path: str) -> None:
        files = [path, *(p for p in self.recent_files() if p != path)][:MAX_RECENT]
        self.settings.setValue("recent", files)

    def _forget_recent(self, path: str) -> None:
        resolved = str(Path(path).resolve())
        self.settings.setValue(
            "recent", [p for p in self.recent_files() if p != resolved]
        )

    @Slot()
    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        files = self.recent_files()
        for i, path in enumerate(files):
            action = self.recent_menu.addAction(f"&{i + 1}  {path}")
            action.triggered.connect(lambda _=False, p=path: self.open_project(p))
        if not files:
            self.recent_menu.addAction("No recent projects").setEnabled(False)

    # ------------------------------------------------------ window state
    @Slot()
    def _update_title(self) -> None:
        self.setWindowTitle(f"{self.project_name}[*] — CNN Workbench")
        self.setWindowModified(self.is_dirty())

    @Slot()
    def autosave(self) -> None:
        if self.is_dirty():
            try:
                write_recovery(self.project(), str(self.path) if self.path else None)
            except OSError as exc:
                log.warning("autosave failed: %s", exc)

    def _restore_layout(self) -> None:
        geometry = self.settings.value("window/geometry")
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(default_size(self.screen().availableGeometry().size()))
        state = self.settings.value("window/state")
        if state is not None:
            self.restoreState(state)
        self.navigation.setCurrentRow(int(self.settings.value("window/page", 0)))

    def closeEvent(self, event: QCloseEvent) -> None:
        training = self.training_page is not None and self.training_page.is_running()
        if training and not self._ask_stop_training():
            event.ignore()
            return
        if not self.confirm_discard():
            event.ignore()
            return
        if self.data_page is not None:
            self.data_page.shutdown()
        self.augmentation_page.shutdown()
        if self.training_page is not None:
            self.training_page.shutdown()
        if self.prediction_page is not None:
            self.prediction_page.shutdown()
        if self.export_dialog is not None:
            self.export_dialog.shutdown()
        workers.stop_all()
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        self.settings.setValue("window/page", self.navigation.currentRow())
        self.settings.sync()
        clear_recovery()
        event.accept()


def _has_dataset_of(spec: DatasetSpec | None, preset: Preset) -> bool:
    """Whether the project's data is the kind ``preset`` was made for."""
    if spec is None:
        return False
    if preset.dataset == "folder":
        return spec.kind == "folder"
    return spec.kind == "builtin" and spec.name == preset.dataset


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
