"""DatasetView: the Data page's body, showing a loaded dataset.

The class table with the per-split counts, the statistics and distribution
chart on the left; the lazily loaded thumbnail grid, the selected image as the
model gets it (the project's input size and channels) and the skipped files on
the right.
"""

from __future__ import annotations

import html

from PySide6.QtCore import QModelIndex, QSize, Qt, Signal, Slot
from PySide6.QtGui import QPixmap, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListView,
    QSizePolicy,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from core.data.dataset import Dataset, convert_image
from core.data.images import BadImage, loader_channels, printable_path
from core.data.stats import DatasetStats
from core.document import ProjectDocument
from desktop import colours
from desktop.widgets.distribution_chart import DistributionChart
from desktop.widgets.image_grid import ImageGridModel, to_qimage

SPLITS = ("train", "validation", "test")
REASON_PX = 300  # the skipped files' reason column at most


class DatasetView(QSplitter):
    """Left: classes, statistics, chart. Right: the grid and the selected image."""

    image_picked = Signal(object)  # uint8 HxWxC at its own size, for other pages

    def __init__(self, document: ProjectDocument, parent: QWidget | None = None):
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.document = document
        self.dataset: Dataset | None = None
        self.stats: DatasetStats | None = None
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
        # The columns share the table's width (a blank half beside them before).
        self.class_table.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.Stretch
        )
        self.stats_label = QLabel()
        self.stats_label.setWordWrap(True)
        # Classes left out of a held-out split, strong imbalance, files that
        # are not a built-in's official ones: said before anyone trains.
        self.warnings_label = QLabel()
        self.warnings_label.setObjectName("datasetWarnings")
        self.warnings_label.setWordWrap(True)
        self.warnings_label.hide()
        self.chart = DistributionChart()
        self.grid_model = ImageGridModel(self)
        self.grid = _grid_view(self.grid_model)
        self.split_combo = QComboBox()
        self.split_combo.addItems(SPLITS)
        self.preview = ImagePreview("Click an image to see it as the model gets it.")
        self.preview_info = QLabel()
        self.preview_info.setWordWrap(True)
        self.preview_info.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
        )
        self.skipped_table = QTableWidget(0, 2)
        self.skipped_table.setHorizontalHeaderLabels(["file", "reason"])
        # The file takes the room and loses its middle when it must: its name
        # and folder stay readable (the reason column took the width and
        # the file was cut at the right).
        self.skipped_table.horizontalHeader().setSectionResizeMode(
            0, QHeaderView.ResizeMode.Stretch
        )
        self.skipped_table.setWordWrap(False)  # else the end is cut, not the middle
        self.skipped_table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.skipped_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.tabs = QTabWidget()
        self._build_layout()
        self.class_table.itemSelectionChanged.connect(self._on_filter_changed)
        self.split_combo.currentIndexChanged.connect(self._on_filter_changed)
        self.grid.clicked.connect(self._on_grid_clicked)

    def _build_layout(self) -> None:
        left = QSplitter(Qt.Orientation.Vertical)
        table_box = QWidget()
        table_layout = QVBoxLayout(table_box)
        table_layout.setContentsMargins(0, 0, 0, 0)
        table_layout.addWidget(self.class_table)
        table_layout.addWidget(self.stats_label)
        table_layout.addWidget(self.warnings_label)
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
        self.tabs.addTab(preview_box, "Selected image")
        self.tabs.addTab(self.skipped_table, "Skipped files (0)")
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(grid_box)
        right.addWidget(self.tabs)
        right.setSizes([420, 260])

        self.addWidget(left)
        self.addWidget(right)
        self.setSizes([430, 640])

    def show_dataset(self, dataset: Dataset, stats: DatasetStats) -> None:
        """Classes, counts, statistics and the grid at the model's input size."""
        self.dataset, self.stats = dataset, stats
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
        self.show_warnings(stats.warnings)
        self.chart.set_counts(dataset.class_names, counts)
        h, w, c = self.document.input.shape
        self.grid_model.set_dataset(dataset, (h, w), loader_channels(c))
        self.class_table.clearSelection()
        self._on_filter_changed()
        self.show_skipped(dataset)

    def show_warnings(self, warnings: tuple[str, ...]) -> None:
        """One line per warning, in the warning colour; hidden when there is none."""
        lines = "<br>".join(f"Warning: {html.escape(w, quote=False)}" for w in warnings)
        self.warnings_label.setText(colours.span(lines, "warning") if lines else "")
        self.warnings_label.setVisible(bool(warnings))

    def show_skipped(self, dataset: Dataset) -> None:
        """The files left out, with the reason (training can add to them)."""
        skipped = dataset.report.skipped
        self.skipped_table.setRowCount(len(skipped))
        for i, (path, reason) in enumerate(skipped):
            for column, text in enumerate((printable_path(path), reason)):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.skipped_table.setItem(i, column, item)
        # The reason as wide as it needs, up to REASON_PX (the tab may be
        # hidden, its width unknown); a longer one says itself in its tooltip.
        self.skipped_table.resizeColumnToContents(1)
        if self.skipped_table.columnWidth(1) > REASON_PX:
            self.skipped_table.setColumnWidth(1, REASON_PX)
        self.tabs.setTabText(1, f"Skipped files ({len(skipped)})")

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
        if self.dataset is None:
            return
        split, i = self.grid_model.split, self.grid_model.dataset_index(index.row())
        h, w, c = self.document.input.shape
        try:  # one decode: the original goes to other pages, a copy to the preview
            original = self.dataset.image(split, i, None, 3)
        except BadImage as exc:
            self.preview_info.setText(f"Cannot read this image: {exc}")
            return
        self.image_picked.emit(original)
        image = convert_image(original, (h, w), loader_channels(c))
        self.preview.set_image(QPixmap.fromImage(to_qimage(image)))
        label = self.dataset.class_names[int(self.dataset.splits[split].labels[i])]
        self.preview_info.setText(
            f"<b>{label}</b> · {split}<br>"
            f"{printable_path(self.dataset.describe_path(split, i))}<br>"
            f"as the model gets it: {h}x{w}, {c} channel{'s' if c > 1 else ''}"
        )


class ImagePreview(QLabel):
    """The selected image whole, as large as the box allows, its pixels sharp.

    A fixed 3x zoom drew a 64x64 input 192 pixels high in a 152-pixel box,
    cut at top and bottom. The picture follows the box's size, and the box's
    size never follows the picture (no layout loop).
    """

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMinimumHeight(150)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self._image: QPixmap | None = None

    def set_image(self, image: QPixmap) -> None:
        self._image = image
        self._fit()

    def clear(self) -> None:
        """Forget the image too, or the next resize would show it again."""
        self._image = None
        super().clear()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        if self._image is not None:
            self.setPixmap(
                self._image.scaled(
                    self.contentsRect().size(),
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.FastTransformation,
                )
            )


def _grid_view(model: ImageGridModel) -> QListView:
    """Icon mode, laid out in batches: a 60,000-image split scrolls at once."""
    grid = QListView()
    grid.setViewMode(QListView.ViewMode.IconMode)
    grid.setUniformItemSizes(True)
    grid.setLayoutMode(QListView.LayoutMode.Batched)
    grid.setBatchSize(200)
    grid.setResizeMode(QListView.ResizeMode.Adjust)
    grid.setMovement(QListView.Movement.Static)
    grid.setIconSize(QSize(64, 64))
    grid.setModel(model)
    return grid
