"""InsightView: what a layer sees in the selected image, and what a filter wants.

Two halves, both computed by ``core.inference.insight`` off the GUI thread:

- Activations: the feature maps of a chosen layer (any layer with a 2-D output,
  nested backbone layers included) as a grid, one tile per channel, at most
  ``PAGE`` tiles at a time; wider layers are paged with the "Channels" box.
  The maps are computed once per (image, layer); paging only re-tiles them.
- Filter pattern: the input that most excites one filter of a convolution, by
  gradient ascent, with a progress bar and Cancel.

The view computes only while ``active`` (its tab is shown), so an unseen view
costs nothing. Errors become a message on the view, never a traceback. A
model without a 2-D convolution leaves the view disabled, saying why.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop import colours
from desktop.widgets.feature_map_sheet import FeatureMapSheet
from desktop.widgets.image_grid import to_qimage
from desktop.workers import FunctionWorker

PAGE = 64  # tiles per page of activations
FILTER_STEPS = 30


NO_IMAGE = "Select an image to see its activations."


class InsightView(QWidget):
    """Activations grid and filter patterns for ``set_model`` / ``set_image``."""

    grid_shown = Signal(int)  # number of tiles now shown
    pattern_shown = Signal(int)  # filter index whose pattern is now shown
    message = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = None
        self.image: np.ndarray | None = None
        self.active = False
        self.tiles_shown = 0
        self._maps: np.ndarray | None = None
        self._maps_key: tuple | None = None
        self._grid_worker: FunctionWorker | None = None
        self._grid_pending = False
        self._filter_worker: FunctionWorker | None = None

        self.layer_combo = QComboBox()
        self.layer_combo.setToolTip("Any layer whose output is a stack of 2-D maps")
        self.start_spin = QSpinBox()
        self.start_spin.setSingleStep(PAGE)
        self.start_spin.setToolTip(f"First channel shown; {PAGE} are shown at a time")
        self.channels_label = QLabel()
        self.sheet = FeatureMapSheet(NO_IMAGE)
        self.grid = self.sheet.label
        self.conv_combo = QComboBox()
        self.filter_spin = QSpinBox()
        self.filter_spin.setToolTip("Which filter (output channel) of the layer")
        self.find_button = QPushButton("Find pattern")
        self.find_button.setToolTip(
            "Gradient ascent: the input image that makes this filter fire most"
        )
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setVisible(False)
        self.pattern = QLabel()
        self.pattern.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.pattern.setMinimumSize(160, 160)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self._build_layout()
        self.layer_combo.currentTextChanged.connect(self._on_layer_changed)
        self.start_spin.valueChanged.connect(self._tile)
        self.conv_combo.currentTextChanged.connect(self._on_conv_changed)
        self.find_button.clicked.connect(self.find_pattern)
        self.cancel_button.clicked.connect(self.cancel_pattern)
        self._set_model_enabled(False)

    def _build_layout(self) -> None:
        activations = QGroupBox("Activations")
        a_form = QFormLayout()
        a_form.addRow("Layer", self.layer_combo)
        paging = QHBoxLayout()
        paging.addWidget(self.start_spin)
        paging.addWidget(self.channels_label, 1)
        a_form.addRow("Channels from", paging)
        a_layout = QVBoxLayout(activations)
        a_layout.addLayout(a_form)
        a_layout.addWidget(self.sheet, 1)

        filters = QGroupBox("Filter pattern")
        f_form = QFormLayout()
        f_form.addRow("Convolution", self.conv_combo)
        f_form.addRow("Filter", self.filter_spin)
        buttons = QHBoxLayout()
        buttons.addWidget(self.find_button)
        buttons.addWidget(self.cancel_button)
        f_layout = QVBoxLayout(filters)
        f_layout.addLayout(f_form)
        f_layout.addLayout(buttons)
        f_layout.addWidget(self.progress)
        f_layout.addWidget(self.pattern, 1)
        filters.setMaximumWidth(300)

        body = QHBoxLayout()
        body.addWidget(activations, 1)
        body.addWidget(filters)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(body, 1)
        layout.addWidget(self.status)

    # ------------------------------------------------------------------ api
    def set_model(self, model) -> None:
        from core.inference.gradcam import NO_CONVOLUTION, conv_layer_names
        from core.inference.insight import spatial_layer_names

        self.cancel_pattern()
        self.model = model
        convolutions = conv_layer_names(model)
        for combo, names in (
            (self.layer_combo, spatial_layer_names(model)),
            (self.conv_combo, convolutions),
        ):
            combo.blockSignals(True)
            combo.clear()
            combo.addItems(names)
            combo.blockSignals(False)
        # The first convolution's maps are the most telling start.
        if convolutions:
            self.layer_combo.setCurrentText(convolutions[0])
        self.sheet.forget()
        self.pattern.clear()
        self._on_conv_changed()
        self._set_model_enabled(bool(convolutions))
        if not convolutions:
            self.sheet.show_text("")
            self.status.setText(f"Insight is off: {NO_CONVOLUTION}.")
            return
        self.status.setText("")
        self.refresh()

    def clear(self) -> None:
        """No model and no image, as at first (the project went)."""
        self.cancel_pattern()
        self.model, self.image = None, None
        self._maps = self._maps_key = None
        for combo in (self.layer_combo, self.conv_combo):
            combo.blockSignals(True)
            combo.clear()
            combo.blockSignals(False)
        self.sheet.show_text(NO_IMAGE)
        self.pattern.clear()
        self.status.setText("")
        self._set_model_enabled(False)

    def set_image(self, image: np.ndarray | None) -> None:
        if image is self.image:
            return
        self.image = image
        self.refresh()

    def set_active(self, active: bool) -> None:
        self.active = active
        self.refresh()

    def refresh(self) -> None:
        """Show the current layer's maps, computing them if needed (when active)."""
        if (
            not self.active
            or self.model is None
            or self.image is None
            or not self.conv_combo.count()
        ):
            return
        layer = self.layer_combo.currentText()
        if not layer:
            self._say("This model has no layer with 2-D feature maps.")
            return
        if self._is_current(self._maps_key):
            self._tile()
            return
        if self._grid_worker is not None:
            self._grid_pending = True
            return
        model, image = self.model, self.image

        def job(progress, cancel):
            from core.inference.insight import feature_maps

            return (model, image, layer), feature_maps(model, image, layer)

        self.sheet.show_text(f"Computing the activations of {layer}…")
        self._grid_worker = FunctionWorker(job, heavy="Insight")
        self._grid_worker.finished.connect(self._on_maps_ready)
        self._grid_worker.failed.connect(self._on_grid_failed)
        self._grid_worker.start()

    def find_pattern(self) -> None:
        """Start the gradient ascent for the chosen convolution and filter."""
        if self.model is None or self._filter_worker is not None:
            return
        layer, index = self.conv_combo.currentText(), self.filter_spin.value()
        if not layer:
            self._say("This model has no convolution to visualise.")
            return
        model = self.model

        def job(progress, cancel):
            from core.inference.insight import filter_pattern, filter_response

            pattern = filter_pattern(
                model,
                layer,
                index,
                steps=FILTER_STEPS,
                progress=lambda f: progress(f, ""),
                cancel=cancel,
            )
            if pattern is None:
                return index, None, 0.0
            return index, pattern, filter_response(model, layer, index, pattern)

        self.progress.setValue(0)
        self.progress.setVisible(True)
        self.find_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.status.setText(f"Finding the pattern of {layer} filter {index}…")
        worker = FunctionWorker(job, heavy="A filter pattern search")
        worker.progressed.connect(self._on_pattern_progress)
        worker.finished.connect(self._on_pattern_ready)
        worker.failed.connect(self._on_pattern_failed)
        self._filter_worker = worker
        worker.start()

    def cancel_pattern(self) -> None:
        if self._filter_worker is not None:
            self._filter_worker.request_stop()

    def shutdown(self) -> None:
        """Stop and wait for both jobs (before the widget goes away)."""
        self._grid_pending = False
        for worker in (self._grid_worker, self._filter_worker):
            if worker is not None:
                worker.request_stop()
                worker.wait()

    # -------------------------------------------------------- activations
    @Slot()
    def _on_layer_changed(self) -> None:
        self.start_spin.blockSignals(True)
        self.start_spin.setValue(0)
        self.start_spin.blockSignals(False)
        self.refresh()

    def _is_current(self, key: tuple | None) -> bool:
        """Whether maps computed for ``key`` belong to what is selected now."""
        if key is None:
            return False
        model, image, layer = key
        return (
            model is self.model
            and image is self.image
            and layer == self.layer_combo.currentText()
        )

    @Slot(object)
    def _on_maps_ready(self, result) -> None:
        self._grid_worker = None
        self._maps_key, self._maps = result
        self._grid_pending = False
        if self._is_current(self._maps_key):
            self._tile()
        else:
            self.refresh()  # the model, image or layer changed meanwhile

    @Slot(str, str)
    def _on_grid_failed(self, message: str, details: str) -> None:
        self._grid_worker = None
        self.sheet.show_text("")
        self._say(f"Activations failed: {message}")
        if self._grid_pending:
            self._grid_pending = False
            self.refresh()

    @Slot()
    def _tile(self) -> None:
        if self._maps is None or not self._is_current(self._maps_key):
            return
        channels = self._maps.shape[-1]
        self.start_spin.blockSignals(True)
        self.start_spin.setRange(0, max(0, channels - 1))
        self.start_spin.blockSignals(False)
        start = min(self.start_spin.value(), channels - 1)
        shown = min(PAGE, channels - start)
        h, w = self._maps.shape[:2]
        note = f"{channels} channels of {h}x{w}"
        if shown < channels:
            note += f"; showing {start}–{start + shown - 1} (at most {PAGE} at a time)"
        self.channels_label.setText(note)
        self.sheet.show_maps(self._maps, start, shown)
        self.status.setText("")
        self.tiles_shown = shown
        self.grid_shown.emit(shown)

    # ------------------------------------------------------------- filters
    @Slot()
    def _on_conv_changed(self) -> None:
        layer = self.conv_combo.currentText()
        filters = 1
        if layer and self.model is not None:
            from core.inference.insight import channel_count

            filters = channel_count(self.model, layer)
        self.filter_spin.setRange(0, max(0, filters - 1))
        self.filter_spin.setSuffix(f"   ({filters} filters)")

    @Slot(float, str)
    def _on_pattern_progress(self, fraction: float, text: str) -> None:
        self.progress.setValue(int(fraction * 100))

    @Slot(object)
    def _on_pattern_ready(self, result) -> None:
        self._filter_done()
        index, pattern, response = result
        if pattern is None:
            self.status.setText("Cancelled.")
            return
        pixmap = QPixmap.fromImage(to_qimage(pattern))
        side = max(128, min(self.pattern.width(), self.pattern.height()))
        self.pattern.setPixmap(
            pixmap.scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio)
        )
        layer = self.conv_combo.currentText()
        if response > 0:
            self.status.setText(
                f"Filter {index} of {layer}: the input that makes it fire most."
            )
        else:  # no gradient to follow: the ascent never left its start
            self.status.setText(
                f"Filter {index} of {layer} never fires: its output is 0 for "
                'every input the search tried (a "dead" filter), so the '
                "picture is only the noise it started from."
            )
        self.pattern_shown.emit(index)

    @Slot(str, str)
    def _on_pattern_failed(self, message: str, details: str) -> None:
        self._filter_done()
        self._say(f"Filter pattern failed: {message}")

    def _filter_done(self) -> None:
        self._filter_worker = None
        self.progress.setVisible(False)
        self.find_button.setEnabled(self.model is not None)
        self.cancel_button.setEnabled(False)

    # --------------------------------------------------------------- misc
    def _set_model_enabled(self, enabled: bool) -> None:
        for w in (self.layer_combo, self.start_spin, self.conv_combo):
            w.setEnabled(enabled)
        self.filter_spin.setEnabled(enabled)
        self.find_button.setEnabled(enabled and self._filter_worker is None)

    def _say(self, text: str) -> None:
        self.status.setText(colours.span(text, "error"))
        self.message.emit(text)
