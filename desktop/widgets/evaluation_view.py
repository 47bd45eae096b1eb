"""EvaluationView: confusion matrix, per-class metrics and the images behind them.

The matrix is a table whose cells are shaded by their share of the row (the
recall view) and show counts; clicking a cell lists that cell's test images
(misclassified ones when off the diagonal) in a thumbnail strip.

A thumbnail's context menu asks to leave the image out of the project's data
or to give it the predicted label (``listing_requested``: the test index and
the class, None to exclude); the page owning the project puts it on the
exclusion list (``core.data.exclusions``), one undoable step.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal, Slot
from PySide6.QtGui import QAction, QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QListWidget,
    QListWidgetItem,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from core.data.dataset import Dataset
from core.data.images import BadImage
from core.training.evaluation import Evaluation
from desktop import colours
from desktop.widgets.image_grid import to_qimage

MAX_IMAGES = 120  # a cell of a 10,000-image test set can be large: show the first
MIN_CELL = 26  # px: a count stays readable; more classes than fit then scroll


class EvaluationView(QWidget):
    """Tabs: the confusion matrix with its images, and per-class metrics."""

    cell_selected = Signal(int, int)  # true class, predicted class
    # a test image to put on the exclusion list: its index in the test split,
    # and the class to label it (None: leave it out)
    listing_requested = Signal(int, object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.matrix = QTableWidget()
        self.matrix.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.matrix.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.matrix.setToolTip(
            "Rows: true class. Columns: predicted class. Click a cell."
        )
        # Cells share the room (no row cut off at the bottom, no blank band at
        # the right) until they reach MIN_CELL; then the table scrolls.
        for header in (self.matrix.horizontalHeader(), self.matrix.verticalHeader()):
            header.setMinimumSectionSize(MIN_CELL)
            header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.images = QListWidget()
        self.images.setViewMode(QListWidget.ViewMode.IconMode)
        self.images.setIconSize(QSize(48, 48))
        self.images.setMaximumHeight(76)
        self.images.setFlow(QListWidget.Flow.LeftToRight)
        self.images.setWrapping(False)
        self.images.setToolTip("Click a cell of the matrix to see its test images")
        self.images.hide()  # an empty strip under the matrix until a cell is clicked
        self.mistakes = QListWidget()
        self.mistakes.setViewMode(QListWidget.ViewMode.IconMode)
        self.mistakes.setIconSize(QSize(64, 64))
        self.mistakes.setGridSize(QSize(150, 100))
        self.mistakes.setWordWrap(True)
        self.mistakes.setToolTip("The most confident mistakes first")
        self.per_class = QTableWidget()
        self.per_class.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        matrix_tab = QWidget()
        matrix_layout = QVBoxLayout(matrix_tab)
        matrix_layout.setContentsMargins(0, 0, 0, 0)
        matrix_layout.addWidget(self.matrix, 1)
        matrix_layout.addWidget(self.images)
        tabs = QTabWidget()
        tabs.addTab(matrix_tab, "Confusion matrix")
        tabs.addTab(self.per_class, "Per-class metrics")
        tabs.addTab(self.mistakes, "Misclassified")
        self.tabs = tabs
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(tabs)
        self.matrix.cellClicked.connect(self._on_matrix_cell_clicked)
        self.listing_actions = {
            strip: _listing_actions(strip, self._on_listing_action)
            for strip in (self.images, self.mistakes)
        }
        self._evaluation: Evaluation | None = None
        self._dataset: Dataset | None = None

    def show_evaluation(self, evaluation: Evaluation, dataset: Dataset | None) -> None:
        """The figures; the images too once ``dataset`` (its test split) is there."""
        self._evaluation, self._dataset = evaluation, dataset
        names = [m.name for m in evaluation.per_class]
        counts = np.asarray(evaluation.confusion)
        self.matrix.setRowCount(len(names))
        self.matrix.setColumnCount(len(names))
        self.matrix.setHorizontalHeaderLabels(names)
        self.matrix.setVerticalHeaderLabels(names)
        rows = counts.sum(axis=1, keepdims=True).clip(min=1)
        for i in range(len(names)):
            for j in range(len(names)):
                item = QTableWidgetItem(f"{counts[i, j]:,}")
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                share = counts[i, j] / rows[i, 0]
                base = QColor(colours.SERIES[0 if i == j else 3])
                base.setAlpha(int(30 + 200 * share))
                item.setBackground(base)
                self.matrix.setItem(i, j, item)
        headers = ["class", "precision", "recall", "F1", "support"]
        self.per_class.setColumnCount(len(headers))
        self.per_class.setHorizontalHeaderLabels(headers)
        self.per_class.setRowCount(len(names))
        for r, m in enumerate(evaluation.per_class):
            values = [
                m.name,
                f"{m.precision:.3f}",
                f"{m.recall:.3f}",
                f"{m.f1:.3f}",
                f"{m.support:,}",
            ]
            for c, text in enumerate(values):
                self.per_class.setItem(r, c, QTableWidgetItem(text))
        self.per_class.resizeColumnsToContents()
        self.images.clear()
        self.images.hide()
        self.mistakes.clear()
        if dataset is not None:
            self._show_mistakes(evaluation, dataset)
        self.tabs.setTabText(2, f"Misclassified ({len(evaluation.misclassified):,})")

    def shown_dataset(self) -> Dataset | None:
        """The data whose test images are shown (what a listing names)."""
        return self._dataset

    def clear(self) -> None:
        """No figures: the run they were of is no longer the project's."""
        self._evaluation = self._dataset = None
        for table in (self.matrix, self.per_class):
            table.setRowCount(0)
            table.setColumnCount(0)
        self.images.clear()
        self.images.hide()
        self.mistakes.clear()
        self.tabs.setTabText(2, "Misclassified")

    def _show_mistakes(self, evaluation: Evaluation, dataset: Dataset) -> None:
        self.mistakes.clear()
        names = dataset.class_names
        for index, true, predicted, confidence in evaluation.misclassified[:MAX_IMAGES]:
            item = self._image_item(dataset, index)
            if item is None:
                continue
            item.setText(f"{names[predicted]} {confidence:.0%}\n(is {names[true]})")
            item.setData(Qt.ItemDataRole.UserRole, (index, predicted))
            self.mistakes.addItem(item)

    @staticmethod
    def _image_item(dataset: Dataset, index: int) -> QListWidgetItem | None:
        try:
            image = dataset.image("test", index, None, 3)
        except BadImage:
            return None
        item = QListWidgetItem(QIcon(QPixmap.fromImage(to_qimage(image))), "")
        item.setToolTip(dataset.describe_path("test", index))
        return item

    def cell_indices(self, true_class: int, predicted_class: int) -> list[int]:
        """Test-split indices of the images in one cell of the matrix."""
        if self._evaluation is None or self._dataset is None:
            return []
        labels = self._dataset.splits["test"].labels
        predicted = np.asarray(self._evaluation.predicted)
        cell = (labels == true_class) & (predicted == predicted_class)
        return np.nonzero(cell)[0].tolist()

    @Slot(int, int)
    def _on_matrix_cell_clicked(self, row: int, column: int) -> None:
        self.images.clear()
        if self._dataset is None:
            return
        names = self._dataset.class_names
        for i in self.cell_indices(row, column)[:MAX_IMAGES]:
            item = self._image_item(self._dataset, i)
            if item is not None:
                item.setToolTip(
                    f"true {names[row]}, predicted {names[column]}\n{item.toolTip()}"
                )
                item.setData(Qt.ItemDataRole.UserRole, (i, column))
                self.images.addItem(item)
        self.images.setVisible(self.images.count() > 0)
        self.cell_selected.emit(row, column)

    def _on_listing_action(self, strip: QListWidget, relabel: bool) -> None:
        """The current thumbnail of ``strip`` on the list: send the intent."""
        item = strip.currentItem()
        if item is None or self._dataset is None:
            return
        index, predicted = item.data(Qt.ItemDataRole.UserRole)
        label = self._dataset.class_names[predicted] if relabel else None
        self.listing_requested.emit(index, label)


def _listing_actions(strip: QListWidget, act) -> tuple[QAction, QAction]:
    """The strip's context menu: exclude the image, or give it the prediction."""
    exclude = QAction("Exclude from the project's data", strip)
    exclude.setToolTip("Leave this image out (your file stays; Edit > Undo)")
    relabel = QAction("Label it as predicted", strip)
    relabel.setToolTip("Train and test on the predicted class for this image")
    exclude.triggered.connect(lambda: act(strip, False))
    relabel.triggered.connect(lambda: act(strip, True))
    strip.addActions([exclude, relabel])
    strip.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
    return exclude, relabel
