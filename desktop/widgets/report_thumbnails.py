"""ReportThumbnails: the images a data-quality report names, drawn off the GUI thread.

A report names images by split and index in the run's data as it opened
(``core.data_quality.report.ImageRef``); this loads each one from that data
on a private QThreadPool, with the name and digest the project's exclusion
list gives it (``Dataset.identity``), read in the same job because both read
the file. A report of a few hundred rows asks for a few hundred images once;
they stay cached until another report (or run) replaces the data.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal, Slot
from PySide6.QtGui import QImage, QPixmap

from core.data.dataset import Dataset
from core.data.images import BadImage
from desktop import colours
from desktop.widgets.image_grid import to_qimage

Key = tuple[str, int]  # split, index in the run's data
Identity = tuple[str, str]  # the exclusion list's path and digest


class _Signals(QObject):
    done = Signal(object, str, int, object, object)  # dataset, split, index, ...


class _Job(QRunnable):
    def __init__(self, dataset: Dataset, key: Key, signals: _Signals) -> None:
        super().__init__()
        self.dataset, self.key, self.signals = dataset, key, signals

    def run(self) -> None:
        split, index = self.key
        image: QImage | None
        try:
            image = to_qimage(self.dataset.image(split, index, None, 3))
        except BadImage:
            image = None
        try:
            identity: Identity | None = self.dataset.identity(split, index)
        except OSError:
            identity = None
        self.signals.done.emit(self.dataset, split, index, image, identity)


class ReportThumbnails(QObject):
    """Thumbnails (``pixmap``) and list identities (``identity``) of a run's images.

    ``ready(split, index)`` says one arrived; until then ``pixmap`` is a
    placeholder and ``identity`` None.
    """

    ready = Signal(str, int)

    def __init__(self, px: int = 48, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.px = px
        self.dataset: Dataset | None = None
        self._pixmaps: dict[Key, QPixmap] = {}
        self._identities: dict[Key, Identity] = {}
        self._pending: set[Key] = set()
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)  # beside a heavy job on a 2-core laptop
        self._signals = _Signals()
        self._signals.done.connect(self._on_done)
        self._placeholder = QPixmap(px, px)
        self._placeholder.fill(colours.placeholder())

    def set_dataset(self, dataset: Dataset | None) -> None:
        """The run's data the report's indices point into (None: none to show)."""
        self._pool.clear()
        self.dataset = dataset
        self._pixmaps.clear()
        self._identities.clear()
        self._pending.clear()

    def pixmap(self, split: str, index: int) -> QPixmap:
        """The image, or a placeholder while it loads (or when there is no data)."""
        key = (split, index)
        found = self._pixmaps.get(key)
        if found is not None:
            return found
        if self.dataset is not None and key not in self._pending:
            self._pending.add(key)
            self._pool.start(_Job(self.dataset, key, self._signals))
        return self._placeholder

    def identity(self, split: str, index: int) -> Identity | None:
        """How the exclusion list names the image; read now if not loaded yet."""
        key = (split, index)
        if key not in self._identities and self.dataset is not None:
            try:
                self._identities[key] = self.dataset.identity(split, index)
            except OSError:
                return None
        return self._identities.get(key)

    def identity_known(self, split: str, index: int) -> Identity | None:
        """The identity if already read (never reads a file: for redrawing)."""
        return self._identities.get((split, index))

    def shutdown(self) -> None:
        """Drop queued images and wait for the one loading (no thread left)."""
        self._pool.clear()
        self._pool.waitForDone(5000)

    @Slot(object, str, int, object, object)
    def _on_done(
        self,
        dataset: Dataset,
        split: str,
        index: int,
        image: QImage | None,
        identity: Identity | None,
    ) -> None:
        if dataset is not self.dataset:  # another run's data since
            return
        key = (split, index)
        self._pending.discard(key)
        if identity is not None:
            self._identities[key] = identity
        if image is not None:
            self._pixmaps[key] = QPixmap.fromImage(image).scaled(
                self.px,
                self.px,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        self.ready.emit(split, index)
