"""Import and export of models from the window: the File menu and the Runs tab."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from PySide6.QtCore import Slot

from core.errors import WorkbenchError
from core.run_model import FINAL, LABELS, kind_of, recorded_tta
from core.runs import RunStore
from desktop.error_dialog import show_error

# What a worker read: the request's number, the file, and either the model,
# its class names and temperature, or why it could not be read.
_RunModel = tuple[int, Path, Any, "list[str] | None", "float | None", str]


def _read_run_model(number: int, path: Path) -> _RunModel:
    """The run's model, class names and temperature; on a worker thread.

    It never raises: the request's number comes back with the reason too,
    so a stale failure is told apart from the wanted one's.
    """
    from core.model_files.class_names import read_class_names
    from core.model_files.loading import load_model_file
    from core.run_calibration import file_temperature

    try:
        model, names = load_model_file(path), read_class_names(path)
        return number, path, model, names, file_temperature(path), ""
    except Exception as exc:  # any reason is a status message, never a traceback
        reason = str(exc) if isinstance(exc, WorkbenchError) else repr(exc)
        return number, path, None, None, None, f"{path.parent.name}: {reason}"


class ModelExportMixin:
    """Export of ``MainWindow``; it needs ``document``, the Prediction page and
    ``show_hint`` (the status bar once a run's model has loaded)."""

    export_dialog = None
    # The requests still being read, by number, with what the status bar says.
    _run_model_loads: Mapping = MappingProxyType({})  # replaced, never changed
    _run_model_asked = 0  # requests made so far: the next one's number
    _run_model_wanted = 0  # the request whose model the page will show, if any

    def run_store(self) -> RunStore:
        """The project's runs: beside its file, or its own folder while unsaved."""
        return RunStore(self.document.runs_dir)

    def import_model(self) -> None:
        """File > Import model…: a model made elsewhere, on the Prediction page."""
        self.ensure_data_page()
        self.show_page("prediction")
        self.prediction_page.import_dialog()

    def open_run_model(self, path: str | Path) -> None:
        """A run's model file on the Prediction page, named by its run and kind.

        The Runs tab's Open and a reopened project's newest run come here, so
        the page says "RUN · best model" or "RUN · final weights", never a
        bare file name. Reading it imports TensorFlow (seconds, minutes under
        load), so a worker reads it and the window stays responsive (#25); the
        latest request wins, and a reset or another model drops a load still
        running (see :meth:`forget_run_model_load`).
        """
        from desktop.workers import FunctionWorker

        path = Path(path)
        number = self._run_model_asked = self._run_model_asked + 1
        worker = FunctionWorker(lambda _p, _c: _read_run_model(number, path))
        worker.finished.connect(self._on_run_model_read)
        note = f"Loading {path.parent.name}'s model…"
        self._run_model_loads = {**self._run_model_loads, number: note}
        self._run_model_wanted = number
        self.statusBar().showMessage(note)
        worker.start()

    def run_model_loading(self) -> bool:
        """A run's model is still being read (wanted or not)."""
        return bool(self._run_model_loads)

    def forget_run_model_load(self) -> None:
        """The Prediction page changed (reset, a new run's or an imported
        model): a run's model still loading is no longer wanted."""
        self._run_model_wanted = 0

    @Slot(object)
    def _on_run_model_read(self, read: _RunModel) -> None:
        number, path, model, names, temperature, reason = read
        loads = dict(self._run_model_loads)
        if self.statusBar().currentMessage() == loads.pop(number, None):
            self.show_hint()  # the status bar says no more that it loads
        self._run_model_loads = loads
        if number != self._run_model_wanted:
            return  # superseded: a later request, another project or model
        self._run_model_wanted = 0
        if reason:
            self.statusBar().showMessage(reason, 8000)
            return
        if names is None:  # no names kept with it: the page asks for them
            self.prediction_page.ask_class_names(model, path.name, "project")
            return
        label = LABELS.get(kind_of(path) or "", path.name)
        self.prediction_page.set_model(
            model,
            names,
            f"{path.parent.name} · {label}",
            "project",
            temperature,  # the run's calibration, when it has one
            recorded_tta(path.parent),  # and the views its test figures averaged
        )

    def export_model(self, source=None):
        """File > Export model…: the dialog, for the open model and the project.

        With no model on the Prediction page, the newest run's is read on a
        worker first (it imports TensorFlow: seconds, minutes under load): the
        dialog opens when it is read, and None is returned meanwhile.
        """
        from desktop.export_dialog import ExportDialog

        self.ensure_data_page()
        if self.export_dialog is not None and self.export_dialog.is_busy():
            self.export_dialog.raise_()
            return self.export_dialog
        if source is None:
            newest = self._newest_model_unread()
            if isinstance(newest, Path):
                self._read_model_then(newest, self._on_newest_model_read)
                return None
            source = self.export_source(newest)
        folder = self.path.parent if self.path else Path.home()
        dialog = ExportDialog(source, folder, self)
        dialog.exported.connect(
            lambda path: self.statusBar().showMessage(f"Exported {path}", 8000)
        )
        if self.export_dialog is not None:
            self.export_dialog.deleteLater()  # idle: it would keep its model alive
        self.export_dialog = dialog
        dialog.open()
        return dialog

    def _newest_model_unread(self) -> Path | str | None:
        """With no model on the Prediction page: the newest run's model file
        (``Run.kept_model``), why the runs cannot be read, or None (no run
        kept one). With a model there: None, the page's model is exported."""
        page = self.prediction_page
        if page is not None and page.model is not None:
            return None
        try:
            kept = self.run_store().newest_model()
        except WorkbenchError as exc:
            return str(exc)
        return None if kept is None else kept[0]

    def _read_model_then(self, path: Path, slot) -> None:
        """Read a run's model on a worker (it imports TensorFlow: seconds,
        minutes under load), then hand ``slot`` what was read."""
        from desktop.workers import FunctionWorker

        worker = FunctionWorker(lambda _p, _c: _read_run_model(0, path))
        worker.finished.connect(slot)
        self.statusBar().showMessage(f"Loading {path.parent.name}'s model…")
        worker.start()

    @Slot(object)
    def _on_newest_model_read(self, read: _RunModel) -> None:
        self.show_hint()
        self.export_model(self.export_source(read))

    def export_source(self, newest: _RunModel | str | None = None):
        """The model on the Prediction page, else the newest run's; the project.

        The newest run's is its model as ``core.run_model`` names it (the best
        one when kept), the same the Prediction page got when the run ended,
        as a worker read it (``newest``; a text: why it could not be). A
        run's model carries its run folder: the export is verified on the
        data the run recorded (an imported model's is "not verified").
        """
        from desktop.export_dialog import ExportSource

        page = self.prediction_page
        source = ExportSource(name=self.document.name)
        if page is not None and page.model is not None:
            source.model, source.class_names = page.model, page.class_names
            if page.model_origin == "import":
                source.name = Path(page.model_source).stem or "model"
                return source
            if LABELS[FINAL] in page.model_source:  # never passed off as the run's
                source.name += "-final-weights"
            source.run = self._run_folder(page.model_source.split(" · ")[0])
        elif isinstance(newest, str):
            source.no_model_reason = newest
        elif newest is not None:
            _, path, model, names, _, reason = newest
            if reason:
                source.no_model_reason = reason
            else:
                source.model, source.class_names, source.run = model, names, path.parent
        source.project = self._export_project()
        return source

    def _run_folder(self, name: str) -> Path | None:
        """The project's run folder called ``name``, if there is one."""
        folder = self.run_store().root / name
        return folder if (folder / "config.json").is_file() else None

    def _export_project(self) -> tuple:
        doc = self.document
        return (doc.spec, doc.dataset, doc.training, doc.augmentation)

    @Slot(str)
    def _on_run_model_export(self, path: str) -> None:
        """Runs tab > Export model…: the run's model picked there, with the project.

        The dialog opens when a worker has read it (``_read_model_then``).
        """
        self._read_model_then(Path(path), self._on_run_model_export_read)

    @Slot(object)
    def _on_run_model_export_read(self, read: _RunModel) -> None:
        from desktop.export_dialog import ExportSource

        _, path, model, names, _, reason = read
        self.show_hint()
        if reason:
            show_error(self, "Cannot export this run", reason)
            return
        run = Path(path).parent.name
        name = f"{self.document.name}-{run}"
        if kind_of(path) == FINAL:  # never passed off as the run's model
            name += "-final-weights"
        source = ExportSource(model, names, name, run=Path(path).parent)
        source.project = self._export_project()
        self.export_model(source)
