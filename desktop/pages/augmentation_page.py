"""AugmentationPage: set the random transforms and see a grid of what they do.

Every control edit is an undoable command; the grid re-renders 150 ms after the
last change (debounced), on a worker thread, so dragging a spin box never
stalls the window. Results of superseded renders are dropped. The preview
works on copies of the source image (and its MixUp partners) at the model's
input size: what training augments, and as fast for a camera photo as for a
thumbnail, whatever sizes the dataset's images have.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QPixmap, QUndoStack
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from core.augmentation.config import (
    FILL_MODES,
    FLIPS,
    PLACEMENTS,
    PRESETS,
    RANGES,
    AugmentationConfig,
)
from core.data.dataset import Dataset, convert_image
from core.data.images import BadImage, is_image_name, load_image, loader_channels
from core.tiling import tile
from desktop import colours
from desktop.undo_commands import SetPageConfig
from desktop.widgets.image_grid import to_qimage
from desktop.workers import FunctionWorker

DEBOUNCE_MS = 150
_LABELS = {
    "rotation": "Rotation (°)",
    "zoom": "Zoom",
    "shear": "Shear (°)",
    "width_shift": "Width shift",
    "height_shift": "Height shift",
    "brightness": "Brightness",
    "contrast": "Contrast",
    "crop": "Random crop",
    "noise": "Gaussian noise",
    "mixup": "MixUp alpha",
    "cutmix": "CutMix alpha",
}


class AugmentationPage(QWidget):
    """Controls on the left; the original and a grid of variants on the right."""

    config_changed = Signal(object)  # AugmentationConfig
    rendered = Signal(int)  # number of tiles shown

    def __init__(
        self,
        undo_stack: QUndoStack,
        parent: QWidget | None = None,
        input_shape: Callable[[], tuple[int, int, int]] | None = None,
    ) -> None:
        """``input_shape`` gives the model's current (h, w, c); without it each
        source is previewed at its own size."""
        super().__init__(parent)
        self.undo_stack = undo_stack
        self.config = AugmentationConfig()
        self._input_shape = input_shape
        self.source: np.ndarray | None = None  # as loaded, any size
        self._partners: list[np.ndarray] = []
        self._fitted_to: tuple[tuple[int, int], int] | None = None
        # What the preview augments: the source and partners at the input size.
        self.image: np.ndarray | None = None
        self.pool: np.ndarray | None = None
        self.seed = 0
        self._updating = False
        self._worker: FunctionWorker | None = None
        self._pending = False
        self.setAcceptDrops(True)

        self.preset_combo = QComboBox()
        self.preset_combo.addItems(["(custom)", *PRESETS])
        self.flip_combo = QComboBox()
        self.flip_combo.addItems(FLIPS)
        self.fill_combo = QComboBox()
        self.fill_combo.addItems(FILL_MODES)
        self.placement_combo = QComboBox()
        self.placement_combo.addItems(PLACEMENTS)
        self.placement_combo.setToolTip(
            "Where training applies augmentation; auto = the tf.data pipeline "
            "(measured faster here)"
        )
        self.toggles: dict[str, QCheckBox] = {}
        self.amounts: dict[str, QDoubleSpinBox] = {}
        form = QFormLayout()
        form.addRow("Preset", self.preset_combo)
        form.addRow("Flip", self.flip_combo)
        for name, low, high, excluded, meaning in RANGES:
            toggle = QCheckBox(_LABELS[name])
            spin = QDoubleSpinBox()
            spin.setDecimals(2 if high <= 10 else 1)
            spin.setRange(low, high - (0.01 if excluded else 0))
            spin.setSingleStep(0.05 if high <= 1 else 1)
            spin.setKeyboardTracking(False)
            spin.setToolTip(meaning)
            self.toggles[name], self.amounts[name] = toggle, spin
            form.addRow(toggle, spin)
        form.addRow("Fill mode", self.fill_combo)
        form.addRow("Placement", self.placement_combo)
        controls = QGroupBox("Transforms")
        controls.setLayout(form)

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
        self.original = QLabel("Load a dataset or drop an image here.")
        self.original.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.original.setMinimumWidth(160)
        self.grid = QLabel()
        self.grid.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.status = QLabel()
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
        scroll.setWidget(controls)
        scroll.setWidgetResizable(True)
        scroll.setMinimumWidth(300)
        layout = QHBoxLayout(self)
        layout.addWidget(scroll)
        layout.addLayout(right, 1)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(DEBOUNCE_MS)
        self._debounce.timeout.connect(self._render)
        self.preset_combo.currentTextChanged.connect(self._on_preset_combo_changed)
        for combo, key in (
            (self.flip_combo, "flip"),
            (self.fill_combo, "fill_mode"),
            (self.placement_combo, "placement"),
        ):
            combo.currentTextChanged.connect(lambda text, k=key: self._edit(k, text))
        for name in self.toggles:
            self.toggles[name].toggled.connect(lambda on, n=name: self._toggle(n, on))
            self.amounts[name].valueChanged.connect(lambda v, n=name: self._edit(n, v))
        self.grid_size.valueChanged.connect(self._debounce.start)
        self.reroll.clicked.connect(self._on_reroll_clicked)
        self.next_image.clicked.connect(self._on_next_image_clicked)
        self._dataset: Dataset | None = None
        self._index = 0
        self.apply_config(self.config, emit=False)

    # ------------------------------------------------------------------ api
    def apply_config(self, config: AugmentationConfig, emit: bool = True) -> None:
        """Show ``config`` in the controls (no undo entry) and re-render."""
        self.config = config
        self._updating = True
        self.flip_combo.setCurrentText(config.flip)
        self.fill_combo.setCurrentText(config.fill_mode)
        self.placement_combo.setCurrentText(config.placement)
        for name in self.toggles:
            value = float(getattr(config, name))
            self.amounts[name].setValue(value)
            self.toggles[name].setChecked(value > 0 and name not in config.off)
        preset = next((k for k, v in PRESETS.items() if v == config), "(custom)")
        self.preset_combo.setCurrentText(preset)
        self._updating = False
        if emit:
            self.config_changed.emit(config)
        self._debounce.start()

    def set_dataset(self, dataset: Dataset | None) -> None:
        """Use the dataset's training images as sources and MixUp/CutMix partners."""
        self._dataset, self._index = dataset, 0
        if dataset is None:
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
            self.source, self.image, self.pool = None, None, None
            self.original.setText("No readable training image to preview.")
            self.grid.clear()

    def set_image(self, image: np.ndarray) -> None:
        self._set_source(image, self._partners)

    def shutdown(self) -> None:
        self._debounce.stop()
        if self._worker is not None:
            self._worker.wait()

    # ---------------------------------------------------------------- edits
    def _edit(self, key: str, value: object) -> None:
        if self._updating:
            return
        new = replace(self.config, **{key: value})
        if key in self.toggles and float(value) > 0:
            new = new.switched(key, True)
        self._push(new, key, f"Change {key.replace('_', ' ')}")

    def _toggle(self, name: str, on: bool) -> None:
        if self._updating:
            return
        new = self.config.switched(name, on)
        if on and float(getattr(new, name)) == 0:
            low = self.amounts[name].singleStep()
            new = replace(new, **{name: low})
        self._push(
            new,
            f"toggle {name}",
            f"{'Enable' if on else 'Disable'} {name.replace('_', ' ')}",
        )

    def _push(self, new: AugmentationConfig, key: str, text: str) -> None:
        try:
            self.undo_stack.push(SetPageConfig(self, new, key, text))
        except ValueError as exc:  # out of range: refuse, show why
            self.status.setText(colours.span(exc, "error"))
            self.apply_config(self.config, emit=False)

    @Slot(str)
    def _on_preset_combo_changed(self, name: str) -> None:
        if not self._updating and name in PRESETS:
            self._push(PRESETS[name], "preset", f"Augmentation preset {name}")

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
        if self._input_shape is None:
            size, channels = self.source.shape[:2], 3
        else:
            h, w, c = self._input_shape()
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
        if self.image is None:
            return
        if self._worker is not None:  # one render at a time; redo when it ends
            self._pending = True
            return
        n = self.grid_size.value()
        image, config, seed, pool = self.image, self.config, self.seed, self.pool
        if not self.status.text():
            self.status.setText("Loading TensorFlow…")

        def job(progress, cancel):
            from core.augmentation.pipeline import preview

            return n, tile(preview(image, config, n * n, seed, pool), n, 2, 235)

        self._worker = FunctionWorker(job)
        self._worker.finished.connect(self._on_render_finished)
        self._worker.failed.connect(self._on_render_failed)
        self._worker.start()

    @Slot(object)
    def _on_render_finished(self, result: tuple[int, np.ndarray]) -> None:
        self._worker = None
        n, sheet = result
        target = max(200, min(self.grid.width(), self.grid.height()) - 8)
        pixmap = QPixmap.fromImage(to_qimage(sheet))
        self.grid.setPixmap(
            pixmap.scaled(target, target, Qt.AspectRatioMode.KeepAspectRatio)
        )
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
