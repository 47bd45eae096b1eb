"""DatasetPage: choose the data, see what the model will see, fit the model to it.

Loading (generating, reading IDX files, scanning folders) runs on a worker
thread with progress and Cancel. A successful load is pushed as one undoable
step that sets the model's input shape and classifier head from the data.
A folder is loaded from its file headers; "Verify images" decodes every file
(all cores, same progress and Cancel) and lists the ones that fail with the
other skipped files.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QModelIndex, QSize, Qt, Signal, Slot
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QPixmap, QUndoStack
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListView,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from core.data.builtin import BUILTIN_NAMES
from core.data.dataset import Dataset, convert_image
from core.data.images import BadImage, loader_channels, printable_path
from core.data.load import find_undecodable, leave_out, open_dataset
from core.data.spec import DatasetSpec
from core.data.stats import compute_stats
from core.layer_stack import LayerStack
from core.spec import HeadSpec, InputSpec
from desktop import colours
from desktop.undo_commands import SetHead, SetInput
from desktop.widgets.distribution_chart import DistributionChart
from desktop.widgets.image_grid import ImageGridModel, to_qimage
from desktop.workers import FunctionWorker

SPLITS = ("train", "validation", "test")


class DatasetPage(QWidget):
    """The Data page. ``load_spec`` loads; ``dataset_loaded`` says it is ready."""

    dataset_loaded = Signal(object)  # Dataset
    spec_changed = Signal(object)  # DatasetSpec
    load_failed = Signal(str)
    verified = Signal(object)  # Dataset, after its undecodable files were left out
    image_picked = Signal(object)  # uint8 HxWxC at its own size, for other pages

    def __init__(
        self, stack: LayerStack, undo_stack: QUndoStack, parent: QWidget | None = None
    ):
        super().__init__(parent)
        self.stack, self.undo_stack = stack, undo_stack
        self._spec: DatasetSpec | None = None
        self._pending: DatasetSpec | None = None
        self._dataset: Dataset | None = None
        self._stats = None  # core.data.stats.DatasetStats of the shown dataset
        # The one background job: a load or a verification.
        self._worker: FunctionWorker | None = None
        self._apply = True
        self.setAcceptDrops(True)

        self.source = QComboBox()
        self.source.addItems(BUILTIN_NAMES)
        self.source.setToolTip(
            "A built-in dataset; or open a folder with one sub-folder per class"
        )
        self.load_button = QPushButton("Load")
        self.folder_button = QPushButton("Open folder…")
        self.local_button = QPushButton("Use local files…")
        self.local_button.setToolTip(
            "Point a built-in dataset at files on this computer"
        )
        self.verify_button = QPushButton("Verify images")
        self.verify_button.setToolTip(
            "Decode every image of the folder (all cores) to find damaged files "
            "the quick header scan cannot see"
        )
        self.val_spin = _percent(
            10, "Share of the training images held out for validation"
        )
        self.test_spin = _percent(
            10, "Share held out for testing (when there is no test/ folder)"
        )
        self.seed_spin = QSpinBox()
        self.seed_spin.setRange(0, 2**31 - 1)
        self.seed_spin.setToolTip("The same seed always gives the same split")
        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        self.cancel_button = QPushButton("Cancel")
        self.status = QLabel("Choose a dataset.")
        self.status.setWordWrap(True)
        self.status.setObjectName("datasetStatus")

        self.class_table = QTableWidget(0, 4)
        self.class_table.setHorizontalHeaderLabels(["class", *SPLITS])
        self.class_table.setSelectionBehavior(
            QAbstractItemView.SelectionBehavior.SelectRows
        )
        self.class_table.setSelectionMode(
            QAbstractItemView.SelectionMode.SingleSelection
        )
        self.class_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.class_table.verticalHeader().hide()
        self.class_table.horizontalHeader().setStretchLastSection(False)
        self.stats_label = QLabel()
        self.stats_label.setWordWrap(True)
        self.chart = DistributionChart()

        self.grid_model = ImageGridModel(self)
        self.grid = QListView()
        self.grid.setViewMode(QListView.ViewMode.IconMode)
        self.grid.setUniformItemSizes(True)
        self.grid.setLayoutMode(QListView.LayoutMode.Batched)
        self.grid.setBatchSize(200)
        self.grid.setResizeMode(QListView.ResizeMode.Adjust)
        self.grid.setMovement(QListView.Movement.Static)
        self.grid.setIconSize(QSize(64, 64))
        self.grid.setModel(self.grid_model)
        self.split_combo = QComboBox()
        self.split_combo.addItems(SPLITS)
        self.preview = QLabel("Click an image to see it as the model gets it.")
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setMinimumHeight(150)
        self.preview_info = QLabel()
        self.preview_info.setWordWrap(True)
        self.preview_info.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
        )
        self.skipped_table = QTableWidget(0, 2)
        self.skipped_table.setHorizontalHeaderLabels(["file", "reason"])
        self.skipped_table.horizontalHeader().setStretchLastSection(True)
        self.skipped_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self._build_layout()

        self.load_button.clicked.connect(self._on_load_button_clicked)
        self.folder_button.clicked.connect(self._on_folder_button_clicked)
        self.local_button.clicked.connect(self._on_local_button_clicked)
        self.verify_button.clicked.connect(self._on_verify_button_clicked)
        self.cancel_button.clicked.connect(self.cancel)
        self.class_table.itemSelectionChanged.connect(self._on_filter_changed)
        self.split_combo.currentIndexChanged.connect(self._on_filter_changed)
        self.grid.clicked.connect(self._on_grid_clicked)
        self._set_busy(False)

    def _build_layout(self) -> None:
        source_row = QHBoxLayout()
        for w in (
            QLabel("Built-in"),
            self.source,
            self.load_button,
            self.folder_button,
            self.local_button,
            self.verify_button,
        ):
            source_row.addWidget(w)
        source_row.addStretch(1)
        options = QFormLayout()
        split_row = QHBoxLayout()
        for label, w in (
            ("validation", self.val_spin),
            ("test", self.test_spin),
            ("seed", self.seed_spin),
        ):
            split_row.addWidget(QLabel(label))
            split_row.addWidget(w)
        split_row.addStretch(1)
        options.addRow("Split", split_row)
        status_row = QHBoxLayout()
        status_row.addWidget(self.status, 3)
        status_row.addWidget(self.progress, 2)
        status_row.addWidget(self.cancel_button)
        top = QGroupBox("Dataset")
        top_layout = QVBoxLayout(top)
        top_layout.addLayout(source_row)
        top_layout.addLayout(options)
        top_layout.addLayout(status_row)

        left = QSplitter(Qt.Orientation.Vertical)
        table_box = QWidget()
        table_layout = QVBoxLayout(table_box)
        table_layout.setContentsMargins(0, 0, 0, 0)
        table_layout.addWidget(self.class_table)
        table_layout.addWidget(self.stats_label)
        left.addWidget(table_box)
        left.addWidget(self.chart)
        left.setSizes([330, 300])

        grid_box = QWidget()
        grid_layout = QVBoxLayout(grid_box)
        grid_layout.setContentsMargins(0, 0, 0, 0)
        grid_bar = QHBoxLayout()
        grid_bar.addWidget(QLabel("Images of split"))
        grid_bar.addWidget(self.split_combo)
        grid_bar.addStretch(1)
        grid_layout.addLayout(grid_bar)
        grid_layout.addWidget(self.grid)
        preview_box = QWidget()
        preview_layout = QVBoxLayout(preview_box)
        preview_layout.addWidget(self.preview, 1)
        preview_layout.addWidget(self.preview_info)
        self.tabs = QTabWidget()
        self.tabs.addTab(preview_box, "Selected image")
        self.tabs.addTab(self.skipped_table, "Skipped files (0)")
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(grid_box)
        right.addWidget(self.tabs)
        right.setSizes([420, 260])

        body = QSplitter(Qt.Orientation.Horizontal)
        body.addWidget(left)
        body.addWidget(right)
        body.setSizes([430, 640])
        layout = QVBoxLayout(self)
        layout.addWidget(top)
        layout.addWidget(body, 1)

    # ------------------------------------------------------------------ api
    def dataset(self) -> Dataset | None:
        return self._dataset

    def dataset_spec(self) -> DatasetSpec | None:
        return self._spec

    def load_spec(self, spec: DatasetSpec, apply_to_model: bool = True) -> None:
        """Load ``spec`` in the background; the model follows if ``apply_to_model``."""
        if spec.path_missing():
            new = self._ask_new_location(spec)
            if not new:
                self.status.setText(f"{spec.path} is missing: choose its new location.")
                return
            spec = replace(spec, path=new)
        self.cancel()
        self._spec, self._apply = spec, apply_to_model
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
        worker.start()

    def set_spec(self, spec: DatasetSpec | None) -> None:
        """Remember a project's dataset; it loads when the page is first shown.

        Opening a project must not start a 60,000-file scan nobody looks at.
        """
        self.cancel()
        self._spec, self._pending, self._dataset = spec, spec, None
        if spec is not None:
            self._show_spec(spec)
            self.status.setText(f"{spec.title}: loads when this page is shown.")
        if spec is not None and self.isVisible():
            self._load_pending()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._load_pending()

    def _load_pending(self) -> None:
        if self._pending is not None:
            spec, self._pending = self._pending, None
            self.load_spec(spec, apply_to_model=False)

    def open_folder(self, path: str) -> None:
        name = Path(path).name
        self.load_spec(
            self._with_options(DatasetSpec(kind="folder", name=name, path=path))
        )

    def cancel(self) -> None:
        # No wait: the job notices the Event at its next check and its thread
        # ends on its own; its late signals are ignored (see _current).
        if self._worker is not None:
            self._worker.request_stop()
            self._worker = None
            self._set_busy(False, "Cancelled.")

    def shutdown(self) -> None:
        if self._worker is not None:
            self._worker.request_stop()
            self._worker.wait()
        self._worker = None
        self.grid_model.shutdown()

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
        self.load_spec(self._with_options(DatasetSpec(name=self.source.currentText())))

    @Slot()
    def _on_folder_button_clicked(self) -> None:
        path = QFileDialog.getExistingDirectory(
            self, "Folder with one sub-folder per class"
        )
        if path:
            self.open_folder(path)

    @Slot()
    def _on_local_button_clicked(self) -> None:
        name = self.source.currentText()
        if name == "cifar10":
            path, _ = QFileDialog.getOpenFileName(
                self,
                "cifar-10-jpg.tar.gz (or cancel to pick a folder)",
                "",
                "Archives (*.tar.gz *.tgz)",
            )
            path = path or QFileDialog.getExistingDirectory(
                self, "CIFAR-10 class folders"
            )
        else:
            path = QFileDialog.getExistingDirectory(
                self, f"Folder holding the {name} IDX .gz files"
            )
        if path:
            self.load_spec(self._with_options(DatasetSpec(name=name, path=path)))

    @Slot()
    def _on_verify_button_clicked(self) -> None:
        dataset = self._dataset
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
        if not self._current() or self._dataset is None:
            return
        self._worker = None
        dataset = self._dataset
        leave_out(dataset, bad)
        total = sum(len(s) for s in dataset.splits.values())
        self._set_busy(
            False,
            f"{dataset.name}: verified, {total:,} images decode; "
            f"{len(bad):,} could not be decoded and are left out.",
        )
        self._show_dataset(dataset, replace(self._stats, counts=dataset.counts()))
        self.verified.emit(dataset)

    @Slot(str, str)
    def _on_verify_failed(self, message: str, details: str) -> None:
        self._show_failure(message)

    def _show_failure(self, message: str) -> bool:
        """End the current job with its message; False for a cancelled job's."""
        if not self._current():
            return False
        self._worker = None
        self._set_busy(False, colours.span(message, "error"))
        return True

    @Slot(float, str)
    def _on_worker_progressed(self, fraction: float, text: str) -> None:
        if not self._current():
            return
        self.progress.setRange(0, 1000)
        self.progress.setValue(int(fraction * 1000))
        self.status.setText(text)

    @Slot(object)
    def _on_worker_finished(self, loaded: tuple[Dataset, object]) -> None:
        if not self._current():
            return
        self._worker = None
        dataset, stats = loaded
        self._dataset = dataset
        self._set_busy(
            False,
            f"{dataset.name}: {dataset.num_classes} classes, "
            f"{sum(len(s) for s in dataset.splits.values()):,} images.",
        )
        if self._apply:
            self._fit_model(dataset)
        self._show_dataset(dataset, stats)
        self.spec_changed.emit(self._spec)
        self.dataset_loaded.emit(dataset)

    @Slot(str, str)
    def _on_worker_failed(self, message: str, details: str) -> None:
        if self._show_failure(message):
            self.load_failed.emit(message)

    @Slot()
    def _on_filter_changed(self) -> None:
        rows = (
            self.class_table.selectionModel().selectedRows()
            if self.class_table.selectionModel()
            else []
        )
        class_index = rows[0].row() if rows else None
        self.grid_model.set_filter(self.split_combo.currentText(), class_index)

    @Slot(QModelIndex)
    def _on_grid_clicked(self, index: QModelIndex) -> None:
        if self._dataset is None:
            return
        split, i = self.grid_model.split, self.grid_model.dataset_index(index.row())
        h, w, c = self.stack.spec.input.shape
        try:  # one decode: the original goes to other pages, a copy to the preview
            original = self._dataset.image(split, i, None, 3)
        except BadImage as exc:
            self.preview_info.setText(f"Cannot read this image: {exc}")
            return
        self.image_picked.emit(original)
        image = convert_image(original, (h, w), loader_channels(c))
        scale = max(1, 200 // max(h, w))
        pixmap = QPixmap.fromImage(to_qimage(image)).scaled(w * scale, h * scale)
        self.preview.setPixmap(pixmap)
        label = self._dataset.class_names[int(self._dataset.splits[split].labels[i])]
        self.preview_info.setText(
            f"<b>{label}</b> · {split}<br>"
            f"{printable_path(self._dataset.describe_path(split, i))}<br>"
            f"as the model gets it: {h}x{w}, {c} channel{'s' if c > 1 else ''}"
        )

    # -------------------------------------------------------------- helpers
    def _with_options(self, spec: DatasetSpec) -> DatasetSpec:
        return replace(
            spec,
            validation_fraction=self.val_spin.value() / 100,
            test_fraction=self.test_spin.value() / 100,
            seed=self.seed_spin.value(),
        )

    def _show_spec(self, spec: DatasetSpec) -> None:
        if spec.kind == "builtin":
            self.source.setCurrentText(spec.name)
        self.val_spin.setValue(round(spec.validation_fraction * 100))
        self.test_spin.setValue(round(spec.test_fraction * 100))
        self.seed_spin.setValue(spec.seed)

    def _set_busy(self, busy: bool, text: str | None = None) -> None:
        for w in (self.load_button, self.folder_button, self.local_button, self.source):
            w.setEnabled(not busy)
        data = self._dataset
        self.verify_button.setEnabled(
            not busy
            and data is not None
            and not data.in_memory
            and not data.report.verified
        )
        self.cancel_button.setVisible(busy)
        self.progress.setVisible(busy)
        self.progress.setRange(0, 0)
        if text is not None:
            self.status.setText(text)

    def _fit_model(self, dataset: Dataset) -> None:
        """One undo step: the model's input and head follow the data."""
        spec = self._spec
        # The spec's override, else the images' own shape, else keep the model's.
        native = dataset.native_shape() or self.stack.spec.input.shape
        h, w = spec.image_size if spec and spec.image_size else native[:2]
        c = spec.channels if spec and spec.channels else native[2]
        head = HeadSpec(dataset.num_classes, self.stack.spec.head.binary)
        self.undo_stack.beginMacro(f"Use dataset {dataset.name}")
        self.undo_stack.push(SetInput(self.stack, InputSpec(h, w, c)))
        self.undo_stack.push(SetHead(self.stack, head))
        self.undo_stack.endMacro()

    def _show_dataset(self, dataset: Dataset, stats) -> None:
        self._stats = stats
        counts = stats.counts
        self.class_table.setRowCount(dataset.num_classes)
        for i, name in enumerate(dataset.class_names):
            self.class_table.setItem(i, 0, QTableWidgetItem(name))
            for j, split in enumerate(SPLITS, start=1):
                item = QTableWidgetItem(f"{counts[split][i]:,}")
                item.setTextAlignment(
                    Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                )
                self.class_table.setItem(i, j, item)
        self.class_table.resizeColumnsToContents()
        sizes = ", ".join(f"{h}x{w}" for h, w in list(stats.sizes)[:4])
        self.stats_label.setText(
            f"sizes: {sizes}{' …' if len(stats.sizes) > 4 else ''} · channels: "
            f"{', '.join(map(str, stats.channels))} · mean {list(stats.mean)} · std "
            f"{list(stats.std)} · imbalance {stats.imbalance:.2f}"
        )
        self.chart.set_counts(dataset.class_names, counts)
        h, w, c = self.stack.spec.input.shape
        self.grid_model.set_dataset(dataset, (h, w), loader_channels(c))
        self.class_table.clearSelection()
        self._on_filter_changed()
        self.show_skipped(dataset)

    def show_skipped(self, dataset: Dataset) -> None:
        """The files left out, with the reason (training can add to them)."""
        skipped = dataset.report.skipped
        self.skipped_table.setRowCount(len(skipped))
        for i, (path, reason) in enumerate(skipped):
            self.skipped_table.setItem(i, 0, QTableWidgetItem(printable_path(path)))
            self.skipped_table.setItem(i, 1, QTableWidgetItem(reason))
        self.tabs.setTabText(1, f"Skipped files ({len(skipped)})")

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


def _load(spec: DatasetSpec, progress, cancel):
    """The worker's job: load and compute statistics, off the GUI thread."""
    dataset = open_dataset(spec, progress, cancel)
    progress(1.0, "computing statistics")
    return dataset, compute_stats(dataset)


def _percent(value: int, tip: str) -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(0, 80)
    spin.setSuffix(" %")
    spin.setValue(value)
    spin.setToolTip(tip)
    return spin
