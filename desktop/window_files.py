"""The window's project files: New/Open/Save, recent files, autosave and recovery.

Everything here reads and writes the project document alone (``self.document``):
the file is what ``ProjectDocument.save`` writes and ``load_project`` reads, the
same calls a script or ``python -m core`` makes. An opened project (File >
Open, Open Recent, a path on the command line) shows its newest run as it was
before quitting: its results on the Training page and its model (the run's
model, ``core.run_model``) on the Prediction page.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QSettings, Slot
from PySide6.QtWidgets import QFileDialog, QMessageBox

from core.errors import WorkbenchError
from core.paths import user_data_dir
from core.presets import starter_project
from core.project import SUFFIX, Project, load_project
from core.recovery import clear_recovery, read_recovery, write_recovery
from desktop.error_dialog import show_error

log = logging.getLogger(__name__)

MAX_RECENT = 8
AUTOSAVE_MS = 30_000
FILE_FILTER = f"CNN Workbench projects (*{SUFFIX});;All files (*)"
# The starter project's next step, which nothing on the first screen said.
STARTER_HINT = (
    "Press Start on the Training page to train this model on the built-in "
    "shapes (about a minute and a half)"
)


def app_settings() -> QSettings:
    """Settings in the user data folder, so tests and portable installs stay apart."""
    return QSettings(str(user_data_dir() / "settings.ini"), QSettings.Format.IniFormat)


class ProjectFilesMixin:
    """File handling of ``MainWindow`` (uses its document, undo stack, settings)."""

    _hint = ""  # what the status bar says to do next (STARTER_HINT or nothing)

    @property
    def path(self) -> Path | None:
        return self.document.path

    def is_dirty(self) -> bool:
        return self.document.dirty

    def start_session(self, path: str | None = None) -> None:
        """Open ``path``, else offer a crash recovery, else the starter project."""
        self.ensure_data_page()
        self._open_first_project(path)
        # A window that reopens on the Training page loads the data there, as
        # going to that page does: it said "No dataset is loaded" beside the
        # first start's "Press Start" hint.
        self._on_page_shown(self.navigation.currentRow())

    def _open_first_project(self, path: str | None) -> None:
        if path:
            self.open_project(path)
            return
        recovery = read_recovery()
        if recovery is not None and self._ask_restore(recovery.saved_at):
            original = recovery.original_path
            self.document.load(
                recovery.project,
                Path(original) if original else None,
                recovery.scratch_id,
            )
            self.undo_stack.clear()
            self.document.mark_dirty()  # not on disk yet
            self.statusBar().showMessage("Restored the autosaved project", 5000)
            return
        clear_recovery()
        self.new_project(ask=False)
        adopted = self.document.adopt_legacy_runs()
        if adopted:
            what = "1 run" if len(adopted) == 1 else f"{len(adopted)} runs"
            self.statusBar().showMessage(
                f"{what} of an earlier version now listed on the Runs tab; "
                "saving the project keeps them beside it",
                15000,
            )

    def new_project(self, ask: bool = True) -> None:
        if ask and not self.confirm_discard():
            return
        self.document.load(starter_project())
        self.undo_stack.clear()
        self._hint = STARTER_HINT
        self.show_hint()

    def show_hint(self) -> None:
        """Say what to do next, until the project changes or a run starts."""
        if self._hint:
            self.statusBar().showMessage(self._hint)  # stays until replaced
        else:
            self.statusBar().clearMessage()

    def drop_hint(self) -> None:
        """A run started: the starter's hint has been followed."""
        if self._hint:
            self._hint = ""
            self.statusBar().clearMessage()

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
        self.document.load(project, Path(path))
        self.undo_stack.clear()
        self._hint = ""
        self._remember_recent(str(Path(path).resolve()))
        self.statusBar().showMessage(*_opened_message(path, project))
        self.show_newest_run()
        return True

    def show_newest_run(self) -> None:
        """The project's newest run: its results, and its model for Prediction."""
        if self.training_page is None or self.training_page.is_running():
            return
        runs = self.workspace.run_store().list()
        run = runs[-1] if runs else None
        self.workspace.show_run(run)
        self.training_page.show_run(run)
        model = run.model_file() if run is not None else None
        if model is not None:
            self.open_run_model(model)

    def save(self) -> bool:
        if self.path is None:
            return self.save_as()
        return self._write(self.path)

    def save_as(self) -> bool:
        name = self.document.name
        start = str(self.path or Path.home() / f"{name}{SUFFIX}")
        path, _ = QFileDialog.getSaveFileName(self, "Save project", start, FILE_FILTER)
        if not path:
            return False
        if not path.endswith(".json"):
            path += SUFFIX
        return self._write(Path(path))

    def _write(self, path: Path) -> bool:
        """Save under ``path``; the project takes the file's name, as a user expects."""
        doc = self.document
        name = path.name.removesuffix(SUFFIX).removesuffix(".json")
        old_name = doc.name
        doc.set_name(name)
        try:
            doc.save(path)
        except OSError as exc:
            doc.set_name(old_name)
            show_error(self, "Cannot save project", f"{path}: {exc.strerror or exc}")
            return False
        self.undo_stack.setClean()
        clear_recovery()
        self._remember_recent(str(path.resolve()))
        self.statusBar().showMessage(f"Saved {path}", 5000)
        return True

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
            f"Save the changes to “{self.document.name}” before closing it?",
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

    @Slot()
    def autosave(self) -> None:
        if self.is_dirty():
            try:
                write_recovery(self.document)
            except OSError as exc:
                log.warning("autosave failed: %s", exc)


def _opened_message(path: str | Path, project: Project) -> tuple[str, int]:
    """The status line after opening ``path``, with how long it stays.

    A setting an older version recorded outside today's bounds is kept, not
    refused; the form frames it, and this line says so before anyone looks.
    """
    flagged = project.flagged()
    if not flagged:
        return f"Opened {path}", 5000
    count = f"{len(flagged)} setting{'s' if len(flagged) > 1 else ''}"
    return (
        f"Opened {path}: {count} recorded outside today's bounds "
        "kept as recorded (framed on the Training and Augmentation pages)",
        15000,
    )
