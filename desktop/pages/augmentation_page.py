"""AugmentationPage: set the random transforms and see a grid of what they do.

Every control edit is an undoable ``SetSetting`` on the project document; the
page redraws from the document's ``augmentation`` event, so undo, a recipe
and an opened project show the same way. The grid re-renders 150 ms after the
last change (debounced), on a worker thread, so dragging a spin box never
stalls the window. Results of superseded renders are dropped. The preview
works on copies of the source image (and its MixUp partners) at the model's
input size: what training augments, and as fast for a camera photo as for a
thumbnail, whatever sizes the dataset's images have.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QPixmap, QUndoStack
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from core.augmentation.config import AugmentationConfig
from core.data.dataset import Dataset, convert_image
from core.data.images import BadImage, is_image_name, load_image, loader_channels
from core.document import ProjectDocument
from core.tiling import tile
from desktop import colours
from desktop.pages.augmentation_form import AugmentationForm
from desktop.pages.dataset_view import ImagePreview
from desktop.undo_commands import SetSetting
from desktop.widgets.image_grid import to_qimage
from desktop.workers import FunctionWorker

DEBOUNCE_MS = 150
NO_IMAGE = "Load a dataset or drop an image here."


class AugmentationPage(QWidget):
    """Controls on the left; the original and a grid of variants on the right."""

    rendered = Signal(int)  # number of tiles shown

    def __init__(
        self,
        document: ProjectDocument,
        undo_stack: QUndoStack,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.document, self.undo_stack = document, undo_stack
        self.source: np.ndarray | None = None  # as loaded, any size
        self._partners: list[np.ndarray] = []
        self._fitted_to: tuple[tuple[int, int], int] | None = None
        # What the preview augments: the source and partners at the input size.
        self.image: np.ndarray | None = None
        self.pool: np.ndarray | None = None
        self.seed = 0
        self._worker: FunctionWorker | None = None
        self._closed = False  # after shutdown(): a queued render must not start
        self._pending = False
        self._dataset: Dataset | None = None
        self._index = 0
        self.setAcceptDrops(True)

        self.form = AugmentationForm(lambda: document.augmentation)
        self.preset_combo = self.form.preset_combo
        self.toggles, self.amounts = self.form.toggles, self.form.amounts
        self.grid_size = QSpinBox()
        self.grid_size.setRange(1, 10)
        self.grid_size.setValue(6)
        self.grid_size.setSuffix(" per side")
        self.grid_size.setToolTip(
            "The grid shows this many variants per row and per column"
        )
        self.reroll = QPushButton("Re-roll")
        self.reroll.setToolTip("New random variants (Ctrl+R)")
        self.reroll.setShortcut("Ctrl+R")
        self.next_image = QPushButton("Next image")
        self.original = QLabel(NO_IMAGE)
        self.original.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.original.setMinimumWidth(160)
        # Scaled to its room whenever that changes: a grid drawn while the
        # page was hidden kept the hidden label's 640x480 (a 472-px square).
        self.grid = ImagePreview("")
        self.status = QLabel()
        self._build_layout()

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(DEBOUNCE_MS)
        self._debounce.timeout.connect(self._render)
        self.form.edited.connect(self._on_form_edited)
        self.grid_size.valueChanged.connect(self._debounce.start)
        self.reroll.clicked.connect(self._on_reroll_clicked)
        self.next_image.clicked.connect(self._on_next_image_clicked)
        self._on_document_augmentation(document.augmentation)
        handlers = {document.events.augmentation: self._on_document_augmentation}
        for event, handler in handlers.items():
            event.connect(handler)
        # The document outlives pages; the lambda must not hold self.
        self.destroyed.connect(
            lambda *_: [event.disconnect(h) for event, h in handlers.items()]
        )

    def _build_layout(self) -> None:
        bar = QHBoxLayout()
        for w in (QLabel("Grid"), self.grid_size, self.reroll, self.next_image):
            bar.addWidget(w)
        bar.addStretch(1)
        bar.addWidget(self.status)
        images = QHBoxLayout()
        left = QVBoxLayout()
        left.addWidget(QLabel("<b>Original</b>"))
        left.addWidget(self.original)
        left.addStretch(1)
        images.addLayout(left)
        images.addWidget(self.grid, 1)
        right = QVBoxLayout()
        right.addLayout(bar)
        right.addLayout(images, 1)
        scroll = QScrollArea()
        scroll.setWidget(self.form)
        scroll.setWidgetResizable(True)
        scroll.setMinimumWidth(300)
        layout = QHBoxLayout(self)
        layout.addWidget(scroll)
        layout.addLayout(right, 1)

    # ------------------------------------------------------------------ api
    @property
    def config(self) -> AugmentationConfig:
        """The project's augmentation (the document's; the page keeps no copy)."""
        return self.document.augmentation

    @Slot(object)
    def _on_document_augmentation(self, config: AugmentationConfig) -> None:
        self.form.show_config(config)
        self._debounce.start()

    def set_dataset(self, dataset: Dataset | None) -> None:
        """Use the dataset's training images as sources and MixUp/CutMix partners.

        None (other data is wanted, not loaded yet): no preview, rather than
        the previous data's image under the new project.
        """
        self._dataset, self._index = dataset, 0
        if dataset is None:
            self._show_nothing(NO_IMAGE)
            return
        images = []
        for i in range(min(9, len(dataset.splits["train"]))):
            try:
                images.append(dataset.image("train", i))
            except BadImage:  # listed on the Data page; preview the others
                continue
        if images:
            self._set_source(images[0], images[1:])
        else:
            self._show_nothing("No readable training image to preview.")

    def _show_nothing(self, text: str) -> None:
        """No source image: ``text`` where the original was, no variants."""
        self.source, self.image, self.pool = None, None, None
        self._partners, self._fitted_to, self._pending = [], None, False
        self._debounce.stop()
        self.original.setText(text)
        self.grid.clear()
        self.status.clear()

    def set_image(self, image: np.ndarray) -> None:
        self._set_source(image, self._partners)

    def shutdown(self) -> None:
        """Wait for the render in flight and start no other (the window closes)."""
        self._closed = True
        self._pending = False
        self._debounce.stop()
        if self._worker is not None:
            self._worker.wait()

    # ---------------------------------------------------------------- edits
    @Slot(object, str, str)
    def _on_form_edited(self, new: AugmentationConfig, key: str, text: str) -> None:
        self.undo_stack.push(SetSetting(self.document, "augmentation", new, key, text))

    @Slot()
    def _on_reroll_clicked(self) -> None:
        self.seed += 1
        self._debounce.start()

    @Slot()
    def _on_next_image_clicked(self) -> None:
        if self._dataset is not None:
            self._index = (self._index + 1) % len(self._dataset.splits["train"])
            try:
                image = self._dataset.image("train", self._index)
            except BadImage as exc:
                self.status.setText(colours.span(exc, "error"))
                return
            self._set_source(image, self._partners)

    # --------------------------------------------------------------- render
    def _set_source(self, image: np.ndarray, partners: list[np.ndarray]) -> None:
        self.source, self._partners, self._fitted_to = image, partners, None
        self._fit()
        self._debounce.start()

    def _fit(self) -> None:
        """Refresh the working copies when the source or the input size changed."""
        if self.source is None:
            return
        h, w, c = self.document.input.shape
        size, channels = (h, w), loader_channels(c)
        if self._fitted_to == (tuple(size), channels):
            return
        self._fitted_to = (tuple(size), channels)
        self.image = convert_image(self.source, size, channels)
        fitted = [convert_image(p, size, channels) for p in self._partners]
        self.pool = np.stack(fitted) if fitted else None
        h, w = size
        scale = max(1, 128 // max(h, w))
        self.original.setPixmap(
            QPixmap.fromImage(to_qimage(self.image)).scaled(w * scale, h * scale)
        )

    @Slot()
    def _render(self) -> None:
        self._fit()  # the model's input may have changed since the source was set
        if self.image is None or self._closed:
            return
        if self._worker is not None:  # one render at a time; redo when it ends
            self._pending = True
            return
        n = self.grid_size.value()
        image, config, seed, pool = self.image, self.config, self.seed, self.pool
        if not self.status.text():
            self.status.setText("Loading TensorFlow…")
        if self.grid.pixmap().isNull():  # say so where the grid will be, not a blank
            self.grid.setText(
                f"Drawing {n * n} variants…\n(the first time loads TensorFlow)"
            )

        def job(progress, cancel):
            from core.augmentation.pipeline import preview

            return image, n, tile(preview(image, config, n * n, seed, pool), n, 2, 235)

        self._worker = FunctionWorker(job)
        self._worker.finished.connect(self._on_render_finished)
        self._worker.failed.connect(self._on_render_failed)
        self._worker.start()

    @Slot(object)
    def _on_render_finished(self, result: tuple[np.ndarray, int, np.ndarray]) -> None:
        self._worker = None
        image, n, sheet = result
        if image is self.image:  # else its image went meanwhile (other data)
            self.grid.set_image(QPixmap.fromImage(to_qimage(sheet)))
            self.status.setText(f"{n * n} variants · seed {self.seed}")
            self.rendered.emit(n * n)
        if self._pending:
            self._pending = False
            self._render()

    @Slot(str, str)
    def _on_render_failed(self, message: str, details: str) -> None:
        self._worker = None
        self.status.setText(colours.span(message, "error"))

    # ---------------------------------------------------------- drag & drop
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
        if urls and is_image_name(urls[0].toLocalFile()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        path = event.mimeData().urls()[0].toLocalFile()
        try:
            self.set_image(load_image(Path(path), None, 3))
        except BadImage as exc:
            self.status.setText(colours.span(f"{Path(path).name}: {exc}", "error"))
            return
        event.acceptProposedAction()
