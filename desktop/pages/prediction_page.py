"""PredictionPage: drop images, see what the model thinks and where it looked.

Images come from drops (files or folders), the clipboard (Ctrl+V) or a file
dialog. They are classified off the GUI thread with ``core.inference``, a
batch of ``BATCH`` per job, so the gallery fills as batches arrive; the
selected one is shown large with its Grad-CAM overlay (alpha, layer, class),
computed for it alone, and top-k probability bars. A broken file gets a
message and nothing else. A model that outputs logits gets softmax (sigmoid
for one unit), said once in the status line
(``core.inference.output_activation``).
A model without a 2-D convolution still predicts; Grad-CAM and Insight are
disabled for it and the page says why. Everything that touches the model
(building the Grad-CAM probes included) runs on the worker, never here.
The Insight tab shows the selected image's feature maps for a chosen layer
and filter patterns (``desktop.widgets.insight_view``).

Import model… loads a `.keras`/`.h5` file made elsewhere with ``safe_mode``;
when it carries no class names they are asked for (``ClassNamesDialog``,
opened without blocking), then the page predicts with it, project or not.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal, Slot
from PySide6.QtGui import (
    QDragEnterEvent,
    QDropEvent,
    QGuiApplication,
    QIcon,
    QKeySequence,
    QPixmap,
    QShortcut,
)
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from core.data.dataset import convert_image
from core.data.images import IMAGE_EXTENSIONS, BadImage, image_files, load_image
from core.errors import WorkbenchError
from desktop import colours
from desktop.class_names_dialog import ClassNamesDialog
from desktop.pages.prediction_side import ExplainPanel
from desktop.widgets.image_grid import to_qimage
from desktop.widgets.insight_view import InsightView
from desktop.workers import FunctionWorker

BATCH = 32  # images per prediction job: the gallery fills a batch at a time
GALLERY_ICON = 72  # every thumbnail is drawn this large, whatever the image's size
GALLERY_CELL = QSize(110, 110)
NO_MODEL = "No model: train one, or import a .keras / .h5 file."
DROP_HINT = "Drop images or a folder here, or paste one (Ctrl+V)."


# What a worker read: the request's number, the file, the origin asked for,
# the model (None: refused), its class names (None: none kept) and why not.
_ReadModel = tuple[int, str, str, Any, "list[str] | None", str]


def _read_model_file(number: int, path: str, origin: str) -> _ReadModel:
    """The model and its class names; on a worker thread, and it never raises."""
    from core.model_files.loading import load_model_file, stored_class_names

    try:
        model = load_model_file(path)
    except Exception as exc:  # any reason is a status message, never a traceback
        reason = str(exc) if isinstance(exc, WorkbenchError) else repr(exc)
        return number, path, origin, None, None, reason
    try:
        return number, path, origin, model, stored_class_names(model, path), ""
    except WorkbenchError as exc:
        return number, path, origin, model, None, str(exc)


class PredictionPage(QWidget):
    """Needs a model: ``set_model(model, class_names)`` or Import model…

    ``model_origin`` says where the model came from: ``"project"`` (trained
    here) or ``"import"`` (a file made elsewhere), which decides what the export
    dialog can offer.
    """

    predicted = Signal(int)  # gallery row whose prediction (or heatmap) arrived
    model_changed = Signal()
    model_opened = Signal()  # an open_model request ended: shown, asked or refused
    export_requested = Signal()
    message = Signal(str)
    # The model's OutputActivation, once decided on the worker.
    _activation = None
    # A run's calibration temperature the probabilities are made at (None: 1).
    temperature: float | None = None
    # Per test-time augmentation used, the model wrapped in its views and the
    # activation left to apply (core.inference.predict.averaged_model); set
    # with the model.
    _averaged: dict
    # Bumped when the layer or class changes: heatmaps made before are stale.
    _explained = 0
    # The heatmap the running job makes, and the last that failed: (row, _explained).
    _job_heat: tuple[int, int] | None = None
    _heat_failed: tuple[int, int] | None = None
    _opening = 0  # the latest open_model request: an older one's read is dropped

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.model = None
        self.class_names: list[str] = []
        self.model_origin = ""
        self.model_source = ""
        self.names_dialog: ClassNamesDialog | None = None
        self.images: list[np.ndarray] = []
        self.results: list[tuple[np.ndarray, np.ndarray] | None] = []
        self._explainers: dict = {}
        self._worker: FunctionWorker | None = None
        self._queue: list[int] = []  # rows waiting for their probabilities

        self.open_button = QPushButton("Import model…")
        self.open_button.setToolTip(
            "Open a .keras or .h5 model, made here or elsewhere (Lambda layers "
            "are refused)"
        )
        self.add_button = QPushButton("Add images…")
        self.export_button = QPushButton("Export model…")
        self.export_button.setToolTip("Save the model as .keras, SavedModel, TFLite…")
        self.model_label = QLabel(NO_MODEL)
        self.model_label.setWordWrap(True)
        self.gallery = QListWidget()
        self.gallery.setViewMode(QListWidget.ViewMode.IconMode)
        self.gallery.setIconSize(QSize(GALLERY_ICON, GALLERY_ICON))
        self.gallery.setGridSize(GALLERY_CELL)
        self.gallery.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # keeps ".png"
        self.gallery.setMaximumWidth(260)
        self.view = QLabel(DROP_HINT)
        self.view.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.view.setMinimumSize(320, 320)
        self.insight = InsightView()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.view, "Grad-CAM")
        self.tabs.addTab(self.insight, "Insight")
        self.tabs.setTabToolTip(1, "Feature maps of a layer, and filter patterns")
        self.side = side = ExplainPanel()
        self.alpha, self.bars = side.alpha, side.bars
        self.layer_combo, self.class_combo = side.layer_combo, side.class_combo
        self.status, self.explain_note = side.status, side.explain_note
        self.tta_combo = side.tta_combo  # the views the probabilities average

        top = QHBoxLayout()
        for w in (self.open_button, self.add_button):
            top.addWidget(w)
        top.addWidget(self.model_label, 1)
        top.addWidget(self.export_button)
        body = QHBoxLayout()
        body.addWidget(self.gallery)
        body.addWidget(self.tabs, 1)
        body.addWidget(self.side)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(body, 1)

        self.open_button.clicked.connect(self._on_open_clicked)
        self.add_button.clicked.connect(self._on_add_clicked)
        self.export_button.clicked.connect(self.export_requested)
        self.tabs.currentChanged.connect(self._on_tab_changed)
        self.insight.message.connect(self.message)
        self.gallery.currentRowChanged.connect(self._show)
        self.alpha.valueChanged.connect(self._show)
        self.layer_combo.currentTextChanged.connect(self._on_explain_changed)
        self.class_combo.currentIndexChanged.connect(self._on_explain_changed)
        self.tta_combo.currentIndexChanged.connect(self._on_tta_changed)
        QShortcut(QKeySequence.StandardKey.Paste, self, self.paste)

    # ------------------------------------------------------------------ api
    def set_model(
        self,
        model,
        class_names: list[str],
        source: str = "",
        origin: str = "project",
        temperature: float | None = None,
        tta: str = "none",
    ) -> None:
        """Predict with ``model``; ``tta``: the views its run's test figures
        averaged, chosen at first (a model from elsewhere: none)."""
        from core.inference.gradcam import NO_CONVOLUTION, conv_layer_names
        from core.inference.predict import input_size

        self.model, self.class_names = model, list(class_names)
        self.model_origin, self.model_source = origin, source or model.name
        self.temperature = temperature
        # A new dict, not clear(): a job still running fills the old one.
        self._explainers, self._averaged = {}, {}
        self.side.allow_tta(bool(input_size(model)[0]), tta)
        self._activation = None
        self._explained += 1  # a heatmap still being made is for the old model
        convolutions = conv_layer_names(model)
        self.layer_combo.blockSignals(True)
        self.layer_combo.clear()
        self.layer_combo.addItems(list(reversed(convolutions)))
        self.layer_combo.blockSignals(False)
        self._enable_explanations("" if convolutions else NO_CONVOLUTION)
        self.class_combo.blockSignals(True)
        self.class_combo.clear()
        self.class_combo.addItems(["(predicted class)", *self.class_names])
        self.class_combo.blockSignals(False)
        calibrated = (
            "" if temperature is None else f" · calibrated, T {temperature:.2f}"
        )
        self.model_label.setText(
            f"Model: {source or model.name} · {len(class_names)} classes{calibrated}"
        )
        self.status.setText("")
        self.insight.set_model(model)
        self.results = [None] * len(self.images)
        self._queue = list(range(len(self.images)))
        self.model_changed.emit()
        self._next()

    def clear(self) -> None:
        """Nothing of the previous project (File > New, a preset, new data).

        The model goes, an imported one too, and the images with their
        predictions and heatmaps: the page is as it was at first.
        """
        self.model, self.class_names = None, []
        self.model_origin = self.model_source = ""
        self._opening += 1  # a model file still being read is not wanted
        self._explainers, self._activation = {}, None
        self._explained += 1  # a job still running is for the old model
        self.images, self.results, self._queue = [], [], []
        self.gallery.clear()
        for combo in (self.layer_combo, self.class_combo):
            combo.blockSignals(True)
            combo.clear()
            combo.blockSignals(False)
        self._enable_explanations("no model")
        self.insight.clear()
        self.model_label.setText(NO_MODEL)
        self.status.setText("")
        self.view.setText(DROP_HINT)  # and no picture
        for bar in self.bars:
            bar.setVisible(False)
        self.model_changed.emit()

    def add_paths(self, paths: list[Path]) -> None:
        files = image_files(paths)
        for f in files:
            try:
                self._append(load_image(f, None, 3), f.name)
            except BadImage as exc:
                self._say(f"{f.name} was not added: {exc}")
        self._next()  # after all of them: the first job takes a whole batch

    def add_image(self, image: np.ndarray, name: str) -> None:
        self._append(image, name)
        self._next()

    def _append(self, image: np.ndarray, name: str) -> None:
        self.images.append(image)
        self.results.append(None)
        item = QListWidgetItem(QIcon(_thumbnail(image)), name)
        item.setToolTip(name)
        # One size for every item, whatever its text: an item whose label
        # shrank (a file name, then "circle 97%") was repainted only in its
        # new, narrower rectangle, and pieces of the name stayed on screen.
        line = self.gallery.fontMetrics().height()
        item.setSizeHint(QSize(GALLERY_CELL.width() - 6, GALLERY_ICON + line + 8))
        self.gallery.addItem(item)
        self._queue.append(len(self.images) - 1)
        if self.gallery.currentRow() < 0:
            self.gallery.setCurrentRow(0)

    def paste(self) -> None:
        image = QGuiApplication.clipboard().image()
        if image.isNull():
            self._say("The clipboard holds no image.")
            return
        # RGBA, so transparency is composited on white as for files.
        rgba = image.convertToFormat(image.Format.Format_RGBA8888)
        ptr = rgba.constBits()
        array = np.frombuffer(ptr, np.uint8).reshape(rgba.height(), rgba.bytesPerLine())
        pixels = array[:, : rgba.width() * 4].reshape(rgba.height(), rgba.width(), 4)
        self.add_image(convert_image(pixels, None, 3), "pasted")

    def shutdown(self) -> None:
        self._queue.clear()
        self.insight.shutdown()
        if self._worker is not None:
            self._worker.wait()

    # --------------------------------------------------------------- worker
    def _next(self) -> None:
        """Start the next job: a batch of probabilities, and the shown heatmap."""
        if self._worker is not None or self.model is None:
            return
        rows, self._queue = self._queue[:BATCH], self._queue[BATCH:]
        shown = self._heat_wanted(rows)
        if not rows and shown is None:
            return
        model, explainers, activation = self.model, self._explainers, self._activation
        tta, averaged = self.tta_combo.currentData(), self._averaged
        temperature = self.temperature
        images = [self.images[r] for r in rows]
        layer = self.layer_combo.currentText() or None
        class_index = self.class_combo.currentIndex() - 1
        self._job_heat = None if shown is None else (shown, self._explained)
        image = None if shown is None else self.images[shown]
        known = None if shown is None or shown in rows else self.results[shown][0]

        def job(progress, cancel):
            from core.inference.output_activation import output_activation
            from core.inference.predict import averaged_model, image_probabilities

            rule = activation or output_activation(model)
            if tta not in averaged:  # wrapped once per model and mode
                averaged[tta] = averaged_model(model, tta, rule, temperature)
            tested, left = averaged[tta]
            probs = image_probabilities(tested, images, left) if images else []
            heat = None
            if image is not None:
                p = probs[rows.index(shown)] if known is None else known
                chosen = class_index if class_index >= 0 else int(np.argmax(p))
                heat = explain(model, explainers, layer, image, chosen)
            return model, rule, rows, probs, heat, tta

        self._worker = FunctionWorker(job)
        self._worker.finished.connect(self._on_worker_finished)
        self._worker.failed.connect(self._on_worker_failed)
        self._worker.start()

    def _heat_wanted(self, rows: list[int]) -> int | None:
        """The shown row when it lacks a heatmap this job can make, else None.

        Not again for a row whose heatmap just failed, until the layer or class
        changes.
        """
        row = self.gallery.currentRow()
        if row < 0 or row >= len(self.images) or not self.layer_combo.currentText():
            return None
        if (row, self._explained) == self._heat_failed:
            return None
        result = self.results[row]
        if row in rows or (result is not None and result[1] is None):
            return row
        return None

    @Slot(object)
    def _on_worker_finished(self, result) -> None:
        self._worker = None
        model, rule, rows, probs, heat, tta = result
        if model is self.model and tta == self.tta_combo.currentData():
            self._take_activation(rule)
            for row, p in zip(rows, probs, strict=True):
                self.results[row] = (p, None)
            changed = list(rows)
            shown, made = self._job_heat or (-1, None)
            if made == self._explained and self.results[shown] is not None:
                self.results[shown] = (self.results[shown][0], heat)
                changed += [] if shown in rows else [shown]
            for row in changed:
                p = self.results[row][0]
                label = self.class_names[int(np.argmax(p))] if self.class_names else ""
                self.gallery.item(row).setText(f"{label} {p.max():.0%}")
            if self.gallery.currentRow() in changed:
                self._show()
            for row in changed:
                self.predicted.emit(row)
        self._next()

    def _take_activation(self, rule) -> None:
        """Keep the model's output rule; say once that it makes probabilities."""
        if self._activation is None:
            self._activation = rule
            note = rule.note(self.model_source)
            if note:
                self.status.setText(f"{note}.")
                self.message.emit(note)

    @Slot(str, str)
    def _on_worker_failed(self, message: str, details: str) -> None:
        self._worker = None
        self._heat_failed = self._job_heat
        self._say(f"Prediction failed: {message}")
        self._next()

    # --------------------------------------------------------------- render
    @Slot()
    def _show(self) -> None:
        from core.inference.imaging import overlay

        row = self.gallery.currentRow()
        if row < 0 or row >= len(self.images):
            return
        image = self.images[row]
        self.insight.set_image(image)
        result = self.results[row]
        shown = (
            image
            if result is None or result[1] is None
            else overlay(image, result[1], self.alpha.value() / 100)
        )
        pixmap = QPixmap.fromImage(to_qimage(shown))
        side = max(64, min(self.view.width(), self.view.height()) - 8)
        self.view.setPixmap(
            pixmap.scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio)
        )
        if result is not None:
            self.side.show_probabilities(result[0], self.class_names)
        if self._heat_wanted([]) is not None:
            self._next()

    def _enable_explanations(self, reason: str) -> None:
        """Grad-CAM's controls and the Insight tab, off with ``reason`` when given."""
        self.side.enable(reason)
        index = self.tabs.indexOf(self.insight)
        self.tabs.setTabEnabled(index, not reason)
        self.tabs.setTabToolTip(
            index, reason or "Feature maps of a layer, and filter patterns"
        )

    @Slot()
    def _on_explain_changed(self) -> None:
        """Heatmaps are redrawn (the shown one first); probabilities stay."""
        self._explained += 1
        self.results = [r if r is None else (r[0], None) for r in self.results]
        self._show()

    @Slot()
    def _on_tta_changed(self) -> None:
        """Every image is predicted again with the views chosen."""
        self.results = [None] * len(self.images)
        self._queue = list(range(len(self.images)))
        self._next()

    @Slot(int)
    def _on_tab_changed(self, index: int) -> None:
        self.insight.set_active(self.tabs.widget(index) is self.insight)
        self.side.gradcam_controls.setVisible(self.tabs.widget(index) is self.view)

    @Slot()
    def _on_open_clicked(self) -> None:
        self.import_dialog()

    def import_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Import model", "", "Keras models (*.keras *.h5 *.hdf5)"
        )
        if path:
            self.open_model(path, origin="import")

    def open_model(self, path: str, origin: str = "import") -> None:
        """Load a model file (safe mode); ask for class names when it has none.

        ``origin`` is ``"project"`` for the project's own run files, which
        always carry names, else ``"import"``. Reading it imports TensorFlow
        (seconds, minutes under load), so a worker reads it and the window
        stays responsive; ``model_opened`` says when it is done. The latest
        request wins; ``clear`` drops one still being read.
        """
        number = self._opening = self._opening + 1
        self.status.setText(f"Loading {Path(path).name}…")
        worker = FunctionWorker(lambda _p, _c: _read_model_file(number, path, origin))
        worker.finished.connect(self._on_model_read)
        worker.start()

    @Slot(object)
    def _on_model_read(self, read: _ReadModel) -> None:
        number, path, origin, model, names, note = read
        if number != self._opening:
            return  # superseded: a later import, or a reset
        name = Path(path).name
        self.status.setText("")
        if model is None:
            self._say(f"Not imported: {note}")
        elif names is not None:
            self.set_model(model, names, name, origin)
        else:
            if note:
                self._say(f"{note}; please name them.")
            self.ask_class_names(model, name, origin)
        self.model_opened.emit()

    def ask_class_names(self, model, source: str, origin: str = "import") -> None:
        """Open the names dialog (non-blocking); OK sets the model, Cancel drops it."""
        from core.model_files.class_names import generic_class_names

        if self.names_dialog is not None:
            self.names_dialog.reject()
        dialog = ClassNamesDialog(generic_class_names(model), source, self)
        self.names_dialog = dialog

        def accepted() -> None:
            self.names_dialog = None
            self.set_model(model, dialog.names(), source, origin)

        def rejected() -> None:
            self.names_dialog = None
            self._say(f"{source} was not opened: it needs class names.")

        dialog.accepted.connect(accepted)
        dialog.rejected.connect(rejected)
        dialog.open()

    @Slot()
    def _on_add_clicked(self) -> None:
        patterns = " ".join(f"*{e}" for e in sorted(IMAGE_EXTENSIONS))
        paths, _ = QFileDialog.getOpenFileNames(
            self, "Add images", "", f"Images ({patterns});;All files (*)"
        )
        self.add_paths([Path(p) for p in paths])

    def _say(self, text: str) -> None:
        self.status.setText(colours.span(text, "error"))
        self.message.emit(text)

    # ---------------------------------------------------------- drag & drop
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [
            Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()
        ]
        self.add_paths(paths)
        event.acceptProposedAction()


def _thumbnail(image: np.ndarray) -> QPixmap:
    """``image`` fitted into the gallery's icon square: a small input enlarged
    with sharp pixels, a large one reduced smoothly."""
    pixmap = QPixmap.fromImage(to_qimage(image))
    smaller = max(image.shape[:2]) < GALLERY_ICON
    return pixmap.scaled(
        GALLERY_ICON,
        GALLERY_ICON,
        Qt.AspectRatioMode.KeepAspectRatio,
        Qt.TransformationMode.FastTransformation
        if smaller
        else Qt.TransformationMode.SmoothTransformation,
    )


def explain(
    model,
    explainers: dict,
    layer: str | None,
    image: np.ndarray,
    class_index: int,
) -> np.ndarray | None:
    """The Grad-CAM heatmap of ``image`` for ``class_index``, None without a layer.

    On the worker. ``explainers`` caches one Explainer per layer of ``model``:
    building one creates probe models, which can fail, so it never happens on
    the GUI thread.
    """
    from core.inference.gradcam import Explainer

    if layer is None:
        return None
    if layer not in explainers:
        explainers[layer] = Explainer(model, layer)
    return explainers[layer](image, class_index)[1]
