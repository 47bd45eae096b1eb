"""DatasetPage: choose the data, see what the model will see, fit the model to it.

Loading (generating, reading IDX files, scanning folders) runs on a worker
thread with progress and Cancel. A successful load is pushed as one undoable
step (``ApplyDataset``) that sets the project's dataset and the model's input
shape and classifier head from the data (``core.data.model_fit``), so undo
brings all three back. The loaded images belong to the workspace
(``core.workspace``), not to this page: the page hands a finished load to it,
and when the project's dataset changes (undo, a recipe, an opened project) the
workspace drops them and the page loads the new ones, at once when shown, else
when it is next shown. A folder found at a new place is written to the
document, which marks the project unsaved. A folder is loaded from its file
headers; "Verify images" decodes every file (all cores, same progress and
Cancel) and lists the ones that fail with the other skipped files, as it lists
those a run could not decode once the workspace has them.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import Signal, Slot
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QUndoStack
from PySide6.QtWidgets import QFileDialog, QVBoxLayout, QWidget

from core.data.checks import dataset_warnings
from core.data.dataset import Dataset
from core.data.load import find_undecodable, leave_out, open_dataset
from core.data.model_fit import fit_model_to_data
from core.data.spec import DatasetSpec
from core.data.stats import compute_stats
from core.workspace import Workspace
from desktop import colours
from desktop.document_links import connect_while_alive
from desktop.pages.dataset_source import DatasetSource
from desktop.pages.dataset_view import DatasetView
from desktop.undo_commands import ApplyDataset
from desktop.widgets.exclusions_panel import ExclusionsBar
from desktop.workers import FunctionWorker


class DatasetPage(QWidget):
    """The Data page. ``load_spec`` loads; ``dataset_loaded`` says it is ready."""

    dataset_loaded = Signal(object)  # Dataset
    load_failed = Signal(str)
    verified = Signal(object)  # Dataset, after its undecodable files were left out
    image_picked = Signal(object)  # uint8 HxWxC at its own size, for other pages
    # What the page's background job is doing, for the window's status bar:
    # the first start shows another page while the data loads.
    working = Signal(str)
    load_cancelled = Signal()  # Cancel or a newer load stopped the job: no data

    def __init__(
        self,
        workspace: Workspace,
        undo_stack: QUndoStack,
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.workspace, self.undo_stack = workspace, undo_stack
        self.document = document = workspace.document
        self._loading: DatasetSpec | None = None  # the spec the running job loads
        # The project's data, waiting to be loaded once this page is shown (or
        # Training needs it): asked for once, so a failed load is not retried.
        self._pending: DatasetSpec | None = None
        # The one background job: a load or a verification.
        self._worker: FunctionWorker | None = None
        self._apply = True
        self.setAcceptDrops(True)

        self.source_box = DatasetSource()
        self.view = DatasetView(document)
        self.exclusions = ExclusionsBar(document, undo_stack)
        layout = QVBoxLayout(self)
        layout.addWidget(self.source_box)
        layout.addWidget(self.exclusions)
        layout.addWidget(self.view, 1)
        # What tests and the window reach: the boxes' controls by their names.
        box, view = self.source_box, self.view
        self.source, self.status, self.progress = box.source, box.status, box.progress
        self.load_button, self.cancel_button = box.load_button, box.cancel_button
        self.verify_button = box.verify_button
        self.val_spin, self.test_spin = box.val_spin, box.test_spin
        self.class_table, self.chart, self.tabs = (
            view.class_table,
            view.chart,
            view.tabs,
        )
        self.grid, self.grid_model = view.grid, view.grid_model
        self.skipped_table, self.preview_info = view.skipped_table, view.preview_info
        self.source.setPlaceholderText("—")  # a folder is loaded, not a built-in

        box.load_button.clicked.connect(self._on_load_button_clicked)
        box.folder_button.clicked.connect(self._on_folder_button_clicked)
        box.local_files_chosen.connect(self._on_local_files_chosen)
        box.verify_button.clicked.connect(self._on_verify_button_clicked)
        box.cancel_button.clicked.connect(self.cancel)
        view.image_picked.connect(self.image_picked)
        self._set_busy(False)
        self._on_workspace_dataset(workspace.dataset)
        events = workspace.events
        connect_while_alive(
            self,
            [
                (events.dataset, self._on_workspace_dataset),
                (events.skipped, self.show_skipped),
                (events.reset, self._on_workspace_reset),
                (events.relisted, self._on_workspace_relisted),
            ],
        )

    # ------------------------------------------------------------------ api
    def dataset(self) -> Dataset | None:
        """The loaded images: the workspace's (None until loaded)."""
        return self.workspace.dataset

    def load_spec(self, spec: DatasetSpec, apply_to_model: bool = True) -> None:
        """Load ``spec`` in the background; the model follows if ``apply_to_model``."""
        if spec.path_missing():
            new = self._ask_new_location(spec)
            if not new:
                self.status.setText(f"{spec.path} is missing: choose its new location.")
                return
            spec = replace(spec, path=new)
        spec = _keeping_the_list(spec, self.document.dataset)
        self.cancel()
        self._loading, self._apply = spec, apply_to_model
        self._show_spec(spec)
        self._start(
            lambda progress, cancel: _load(spec, progress, cancel),
            self._on_worker_finished,
            self._on_worker_failed,
            f"Loading {spec.title}…",
        )

    def _start(self, job, finished, failed, text: str, heavy=None) -> None:
        """Run ``job`` as the page's one background job, with progress and Cancel."""
        worker = FunctionWorker(job, heavy)
        worker.progressed.connect(self._on_worker_progressed)
        worker.finished.connect(finished)
        worker.failed.connect(failed)
        self._worker = worker
        self._set_busy(True, text)
        self.working.emit(text)
        worker.start()

    @Slot(object)
    def _on_workspace_dataset(self, dataset: Dataset | None) -> None:
        """No images for the project's dataset (it changed): load when shown.

        Opening a project must not start a 60,000-file scan nobody looks at.
        A dataset is this page's own finished load, already shown.
        """
        if dataset is not None:
            return
        self.cancel()
        spec = self._pending = self.workspace.pending_dataset
        if spec is not None:
            self._show_spec(spec)
            self.status.setText(f"{spec.title}: loads when this page is shown.")
        if spec is not None and self.isVisible():
            self.load_pending()

    @Slot(object)
    def _on_workspace_relisted(self, dataset: Dataset) -> None:
        """The exclusion list changed: the counts and warnings follow it."""
        if self.view.stats is None:
            return
        stats = replace(
            self.view.stats,
            counts=dataset.counts(),
            warnings=tuple(dataset_warnings(dataset)),
        )
        self.view.show_dataset(dataset, stats)

    @Slot()
    def _on_workspace_reset(self) -> None:
        """Another project, model or data: the image picked before is not of it."""
        self.view.preview.clear()
        self.view.preview.setText("Click an image to see it as the model gets it.")
        self.preview_info.clear()

    def _show_spec(self, spec: DatasetSpec) -> None:
        """``spec`` in the source box; no built-in's name while a folder is used."""
        self.source_box.show_spec(spec)
        if spec.kind == "folder":
            self.source.setCurrentIndex(-1)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.load_pending()

    def load_pending(self) -> None:
        """Load the project's dataset if it waits (the page shows it, or training)."""
        if self._pending is not None:
            spec, self._pending = self._pending, None
            self.load_spec(spec, apply_to_model=False)

    def open_folder(self, path: str) -> None:
        name = Path(path).name
        self.load_spec(
            self.source_box.with_options(
                DatasetSpec(kind="folder", name=name, path=path)
            )
        )

    def cancel(self) -> None:
        # No wait: the job notices the Event at its next check and its thread
        # ends on its own; its late signals are ignored (see _current).
        if self._worker is not None:
            self._worker.request_stop()
            self._worker = None
            self._loading = None
            self._set_busy(False, "Cancelled.")
            self.load_cancelled.emit()

    def shutdown(self) -> None:
        if self._worker is not None:
            self._worker.request_stop()
            self._worker.wait()
        self._worker = None
        self.grid_model.shutdown()

    def show_skipped(self, dataset: Dataset) -> None:
        """The files left out, with the reason (training can add to them)."""
        self.view.show_skipped(dataset)

    def _current(self) -> bool:
        """True when the signal is from the load still wanted, not a cancelled one."""
        return self._worker is not None and self.sender() is self._worker

    def _ask_new_location(self, spec: DatasetSpec) -> str | None:
        return (
            QFileDialog.getExistingDirectory(self, f"Where is {spec.title} now?")
            or None
        )

    # ---------------------------------------------------------------- slots
    @Slot()
    def _on_load_button_clicked(self) -> None:
        name = self.source.currentText()
        if not name:
            self.status.setText("Choose a built-in dataset first.")
            return
        self.load_spec(self.source_box.with_options(DatasetSpec(name=name)))

    @Slot()
    def _on_folder_button_clicked(self) -> None:
        path = QFileDialog.getExistingDirectory(
            self, "Folder with one sub-folder per class"
        )
        if path:
            self.open_folder(path)

    @Slot(str)
    def _on_local_files_chosen(self, path: str) -> None:
        spec = DatasetSpec(name=self.source.currentText(), path=path)
        self.load_spec(self.source_box.with_options(spec))

    @Slot()
    def _on_verify_button_clicked(self) -> None:
        dataset = self.workspace.dataset
        if dataset is None or self._worker is not None:
            return
        self._start(
            lambda progress, cancel: find_undecodable(dataset, progress, cancel),
            self._on_verify_finished,
            self._on_verify_failed,
            f"Decoding every image of {dataset.name}…",
            heavy="Image verification",
        )

    @Slot(object)
    def _on_verify_finished(self, bad: dict[str, str]) -> None:
        dataset = self.workspace.dataset
        if not self._current() or dataset is None:
            return
        self._worker = None
        leave_out(dataset, bad)
        total = sum(len(s) for s in dataset.splits.values())
        self._set_busy(
            False,
            f"{dataset.name}: verified, {total:,} images decode; "
            f"{len(bad):,} could not be decoded and are left out.",
        )
        stats = replace(
            self.view.stats,
            counts=dataset.counts(),
            warnings=tuple(dataset_warnings(dataset)),
        )
        self.view.show_dataset(dataset, stats)
        self.verified.emit(dataset)

    @Slot(str, str)
    def _on_verify_failed(self, message: str, details: str) -> None:
        self._show_failure(message)

    def _show_failure(self, message: str) -> bool:
        """End the current job with its message; False for a cancelled job's."""
        if not self._current():
            return False
        self._worker = None
        self._loading = None
        self._set_busy(False, colours.span(message, "error"))
        return True

    @Slot(float, str)
    def _on_worker_progressed(self, fraction: float, text: str) -> None:
        if self._current():
            self.source_box.show_progress(fraction, text)
            self.working.emit(f"{self.source_box.status.text()} {fraction:.0%}")

    @Slot(object)
    def _on_worker_finished(self, loaded: tuple[Dataset, object]) -> None:
        if not self._current():
            return
        self._worker = None
        dataset, stats = loaded
        spec, self._loading = self._loading, None
        # The workspace first: the document's echo of the spec is then no change.
        self.workspace.set_dataset(dataset, spec)
        self._set_busy(
            False,
            f"{dataset.name}: {dataset.num_classes} classes, "
            f"{sum(len(s) for s in dataset.splits.values()):,} images.",
        )
        self._write_to_document(dataset, spec)
        self.view.show_dataset(dataset, stats)
        self.dataset_loaded.emit(dataset)

    def _write_to_document(self, dataset: Dataset, spec: DatasetSpec) -> None:
        """One undo step for a chosen dataset; a moved folder only marks unsaved."""
        doc = self.document
        if self._apply:
            new_input, head = fit_model_to_data(doc.input, doc.head, dataset, spec)
            text = f"Use dataset {dataset.name}"
            self.undo_stack.push(ApplyDataset(doc, spec, new_input, head, text))
        elif spec != doc.dataset:  # the project's folder, found at a new place
            doc.set_dataset(spec)

    @Slot(str, str)
    def _on_worker_failed(self, message: str, details: str) -> None:
        if self._show_failure(message):
            self.load_failed.emit(message)

    def _set_busy(self, busy: bool, text: str | None = None) -> None:
        data = self.workspace.dataset
        can_verify = (
            data is not None and not data.in_memory and not data.report.verified
        )
        self.source_box.set_busy(busy, can_verify, text)

    # ---------------------------------------------------------- drag & drop
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
        if urls and Path(urls[0].toLocalFile()).is_dir():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        urls = event.mimeData().urls()
        if urls and Path(urls[0].toLocalFile()).is_dir():
            event.acceptProposedAction()
            self.open_folder(urls[0].toLocalFile())


def _keeping_the_list(spec: DatasetSpec, project: DatasetSpec | None) -> DatasetSpec:
    """``spec`` with the project's exclusion list when it is the same data
    (another split, size or seed; a folder found at a new place): the list
    names files below the folder, not places in a split."""
    if project is None or spec.exclusions or not project.exclusions:
        return spec
    moved = spec.path != project.path and project.path_missing()
    if (spec.kind, spec.name) != (project.kind, project.name) or (
        spec.path != project.path and not moved
    ):
        return spec
    return replace(spec, exclusions=project.exclusions)


def _load(spec: DatasetSpec, progress, cancel):
    """The worker's job: load and compute statistics, off the GUI thread."""
    dataset = open_dataset(spec, progress, cancel)
    progress(1.0, "computing statistics")
    return dataset, compute_stats(dataset)
