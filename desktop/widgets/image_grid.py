"""ImageGridModel: one row per image of a split, thumbnails made lazily off-thread.

A list model (not a widget per image) so a view can scroll 60,000 images: the
view asks for DecorationRole only for visible rows; a miss queues a job on a
private QThreadPool and returns a placeholder; the finished thumbnail goes into
an LRU cache and the row is refreshed. Thumbnails come from
``Dataset.image(...)`` at the model's input size, so they show what the model
will see.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import numpy as np
from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRunnable,
    QSize,
    Qt,
    QThreadPool,
    Signal,
    Slot,
)
from PySide6.QtGui import QImage, QPixmap

from core.data.dataset import Dataset
from core.data.images import BadImage
from desktop import colours

CACHE_SIZE = 4000
_ROOT = QModelIndex()


def to_qimage(array: np.ndarray) -> QImage:
    """A QImage that owns a copy of ``array`` (uint8 HxW, HxWx1 or HxWx3)."""
    a = np.ascontiguousarray(array)
    if a.ndim == 3 and a.shape[2] == 1:
        a = np.ascontiguousarray(a[..., 0])
    h, w = a.shape[:2]
    fmt = (
        QImage.Format.Format_Grayscale8 if a.ndim == 2 else QImage.Format.Format_RGB888
    )
    return QImage(a.data, w, h, a.strides[0], fmt).copy()


class _Signals(QObject):
    done = Signal(str, int, object)  # split, dataset index, QImage or None


class _ThumbJob(QRunnable):
    def __init__(
        self, dataset: Dataset, split: str, index: int, size, channels, signals
    ):
        super().__init__()
        self.args = (dataset, split, index, size, channels)
        self.signals = signals

    def run(self) -> None:
        dataset, split, index, size, channels = self.args
        try:
            image: QImage | None = to_qimage(
                dataset.image(split, index, size, channels)
            )
        except BadImage:
            image = None
        self.signals.done.emit(split, index, image)


class ImageGridModel(QAbstractListModel):
    """Rows are the images of one split, optionally of one class."""

    IndexRole = Qt.ItemDataRole.UserRole + 1
    LabelRole = Qt.ItemDataRole.UserRole + 2
    thumbnail_ready = Signal(int)  # row

    def __init__(self, parent: QObject | None = None, thumb_px: int = 64) -> None:
        super().__init__(parent)
        self.thumb_px = thumb_px
        self._dataset: Dataset | None = None
        self._split = "train"
        self._rows = np.zeros(0, dtype=np.int64)
        self._size: tuple[int, int] | None = None
        self._channels = 3
        self._cache: OrderedDict[tuple[str, int], QPixmap] = OrderedDict()
        self._pending: set[tuple[str, int]] = set()
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(2)
        self._signals = _Signals()
        self._signals.done.connect(self._on_job_done)
        self._placeholder = QPixmap(thumb_px, thumb_px)
        self._placeholder.fill(colours.placeholder())

    # ------------------------------------------------------------------ api
    def set_dataset(
        self, dataset: Dataset | None, size: tuple[int, int] | None, channels: int
    ) -> None:
        self.beginResetModel()
        self._pool.clear()
        self._dataset, self._size, self._channels = dataset, size, channels
        self._cache.clear()
        self._pending.clear()
        self._rows = np.zeros(0, dtype=np.int64)
        if dataset is not None:
            self._rows = np.arange(len(dataset.splits[self._split]))
        self.endResetModel()

    def set_filter(self, split: str, class_index: int | None) -> None:
        """Show ``split``, all classes or only ``class_index``."""
        self.beginResetModel()
        self._split = split
        if self._dataset is None:
            self._rows = np.zeros(0, dtype=np.int64)
        else:
            labels = self._dataset.splits[split].labels
            self._rows = (
                np.arange(len(labels))
                if class_index is None
                else np.nonzero(labels == class_index)[0]
            )
        self.endResetModel()

    def dataset_index(self, row: int) -> int:
        return int(self._rows[row])

    @property
    def split(self) -> str:
        return self._split

    def shutdown(self) -> None:
        """Drop queued thumbnails and wait for running ones (no thread left)."""
        self._pool.clear()
        self._pool.waitForDone(5000)

    # ---------------------------------------------------------------- model
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = _ROOT) -> int:
        return 0 if parent.isValid() else int(self._rows.size)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> Any:
        if not index.isValid() or self._dataset is None:
            return None
        i = int(self._rows[index.row()])
        if role == Qt.ItemDataRole.DecorationRole:
            return self._thumbnail(i)
        if role == self.IndexRole:
            return i
        label = int(self._dataset.splits[self._split].labels[i])
        if role == self.LabelRole:
            return label
        if role == Qt.ItemDataRole.ToolTipRole:
            name = self._dataset.class_names[label]
            return f"{name}\n{self._dataset.describe_path(self._split, i)}"
        if role == Qt.ItemDataRole.SizeHintRole:
            return QSize(self.thumb_px + 8, self.thumb_px + 8)
        return None

    def _thumbnail(self, i: int) -> QPixmap:
        key = (self._split, i)
        pixmap = self._cache.get(key)
        if pixmap is not None:
            self._cache.move_to_end(key)
            return pixmap
        if key not in self._pending and self._dataset is not None:
            self._pending.add(key)
            job = _ThumbJob(
                self._dataset, self._split, i, self._size, self._channels, self._signals
            )
            self._pool.start(job)
        return self._placeholder

    @Slot(str, int, object)
    def _on_job_done(self, split: str, i: int, image: QImage | None) -> None:
        self._pending.discard((split, i))
        if image is None or split != self._split:
            return
        pixmap = QPixmap.fromImage(image).scaled(
            self.thumb_px,
            self.thumb_px,
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.FastTransformation,
        )
        self._cache[(split, i)] = pixmap
        if len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        rows = np.nonzero(self._rows == i)[0]
        if rows.size:
            row = int(rows[0])
            index = self.index(row)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])
            self.thumbnail_ready.emit(row)
