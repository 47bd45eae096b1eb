"""ExportDialog: a model home as `.keras`, SavedModel, TFLite, int8, ONNX or Python.

The formats and what each needs are ``core.inference.export_formats``, which
``python -m core export`` uses too; this dialog only chooses the format and
the target and runs the export off the GUI thread with a busy bar. A format
that cannot be used is disabled with the reason as its tooltip: the model
formats need a model (trained or imported), "Export as Python" needs the
project (its model spec, dataset and training settings), so it is off when
only an imported model is open. The ``.keras`` format can carry test-time
augmentation (the TTA choice, off for the other formats). ONNX is off with
the install command as its reason while its extra is missing
(``core.inference.format_extras``).

Every model export is verified before it is kept (``Verify``, on by default):
the worker writes it, loads it in its own runtime, scores it on held-out
images and only then renames it into place; the figures are shown here. For
int8 the user may set the most accuracy points it may lose. The export and its
verification run in the worker thread, so the dialog stays responsive. The
dialog is shown with ``show()``/``open()``; nothing here blocks in a nested
event loop.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from core.errors import WorkbenchError
from core.inference import export_formats
from core.inference.export_check import VerificationFailed
from core.inference.export_formats import FORMATS, ExportResult, ExportSource
from core.run_calibration import run_temperature
from core.training.config import TTA_MODES
from desktop import colours
from desktop.workers import FunctionWorker


class ExportDialog(QDialog):
    """Choose a format and a target, Export; ``exported(path)`` or ``failed(msg)``."""

    exported = Signal(str)
    failed = Signal(str)

    def __init__(
        self, source: ExportSource, folder: Path, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("exportDialog")
        self.setWindowTitle("Export model")
        self.source = source
        self.folder = folder
        self._worker: FunctionWorker | None = None

        self.format_combo = QComboBox()
        for f in FORMATS:
            self.format_combo.addItem(f.title, f.key)
        self.help = QLabel()
        self.help.setWordWrap(True)
        self.tta_combo = QComboBox()
        for mode in TTA_MODES:
            self.tta_combo.addItem(mode, mode)
        int8_row = self._make_verification_controls()
        self._temperature = _temperature_of(source)
        self.calibrated_check = QCheckBox("Calibrated probabilities")
        self.calibrated_check.setToolTip(
            f"The file divides its logits by the run's temperature "
            f"{self._temperature:.3f} before the softmax (fitted on validation)"
            if self._temperature is not None
            else "No temperature: calibrate the run first (Training page, "
            "Calibration tab)"
        )
        self.path_edit = QLineEdit()
        self.browse_button = QPushButton("Browse…")
        self.export_button = QPushButton("Export")
        self.export_button.setDefault(True)
        self.close_button = QPushButton("Close")
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)  # busy: the formats report no fractions
        self.progress.setVisible(False)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
        )

        target = QHBoxLayout()
        target.addWidget(self.path_edit, 1)
        target.addWidget(self.browse_button)
        form = QFormLayout()
        form.addRow("Format", self.format_combo)
        form.addRow("", self.help)
        form.addRow("Test-time aug.", self.tta_combo)
        form.addRow("Calibration", self.calibrated_check)
        form.addRow("Verify", self.verify_check)
        form.addRow("int8", int8_row)
        form.addRow("Save to", target)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.export_button)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(self._describe()))
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.verification)
        layout.addStretch(1)
        layout.addLayout(buttons)

        self._disable_unusable_formats()
        self.format_combo.currentIndexChanged.connect(self._on_format_changed)
        self.int8_limit_check.toggled.connect(self._on_format_changed)
        self.browse_button.clicked.connect(self._on_browse_clicked)
        self.export_button.clicked.connect(self.export)
        self.close_button.clicked.connect(self.reject)
        self._on_format_changed()
        self.resize(560, 260)

    def _make_verification_controls(self) -> QHBoxLayout:
        """The Verify switch, the int8 limit (returned as its row) and the figures."""
        self.verify_check = QCheckBox(
            "Check the file against the model before keeping it"
        )
        self.verify_check.setChecked(True)
        self.verify_check.setToolTip(
            "Loads the written file in its own runtime and compares its answers "
            "with the model's on held-out images; a file that differs is not kept."
        )
        self.int8_limit_check = QCheckBox("Fail when int8 loses more than")
        self.int8_limit = QDoubleSpinBox()
        self.int8_limit.setRange(0.0, 100.0)
        self.int8_limit.setSingleStep(0.5)
        self.int8_limit.setValue(1.0)
        self.int8_limit.setSuffix(" accuracy points")
        self.verification = QLabel()
        self.verification.setObjectName("exportVerification")
        self.verification.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
        )
        self.verification.setStyleSheet("font-family: monospace")
        row = QHBoxLayout()
        row.addWidget(self.int8_limit_check)
        row.addWidget(self.int8_limit, 1)
        return row

    # ------------------------------------------------------------------ api
    def format_key(self) -> str:
        return self.format_combo.currentData()

    def set_format(self, key: str) -> None:
        self.format_combo.setCurrentIndex(self.format_combo.findData(key))

    def tta_choice(self) -> str:
        """The TTA the export carries: the choice, for the format that can."""
        return self.tta_combo.currentData() if self.tta_combo.isEnabled() else "none"

    def int8_threshold(self) -> float | None:
        """The most accuracy points int8 may lose; None: report it, fail never."""
        if self.format_key() != "tflite_int8" or not self.int8_limit_check.isChecked():
            return None
        return self.int8_limit.value()

    def is_enabled(self, key: str) -> bool:
        item = self.format_combo.model().item(self.format_combo.findData(key))
        return item.isEnabled()

    def reason(self, key: str) -> str:
        """The tooltip of a format: why it is disabled, or what it is."""
        return self.format_combo.itemData(
            self.format_combo.findData(key), Qt.ItemDataRole.ToolTipRole
        )

    def export(self) -> None:
        if self._worker is not None:
            return
        key = self.format_key()
        if not self.is_enabled(key):
            self._say(self.reason(key))
            return
        text = self.path_edit.text().strip()
        if not text:
            self._say("Choose where to save the export.")
            return
        target = Path(text).expanduser()
        source, tta = self.source, self.tta_choice()
        if self.calibrated_check.isEnabled() and self.calibrated_check.isChecked():
            source = replace(source, temperature=self._temperature)
        verify, threshold = self.verify_check.isChecked(), self.int8_threshold()

        def job(progress, cancel) -> ExportResult | VerificationFailed:
            try:
                return export_formats.export(
                    source, target, key, tta, verify, threshold, cancel
                )
            except VerificationFailed as exc:  # its figures are shown, not a trace
                return exc

        self._set_busy(True)
        self.verification.clear()
        checking = " and checking" if verify and key != "python" else ""
        self.status.setText(f"Exporting{checking} to {target}…")
        self._worker = FunctionWorker(job, heavy="Export")
        self._worker.finished.connect(self._on_finished)
        self._worker.failed.connect(self._on_failed)
        self._worker.start()

    def is_busy(self) -> bool:
        return self._worker is not None

    def shutdown(self) -> None:
        if self._worker is not None:
            self._worker.wait(60_000)

    def done(self, result: int) -> None:
        if self._worker is not None:
            self.status.setText("Wait for the export to finish before closing.")
            return
        super().done(result)

    # -------------------------------------------------------------- slots
    def _describe(self) -> str:
        if self.source.model is None:
            return "No model is open; only the project can be exported."
        names = self.source.class_names or []
        shown = ", ".join(names[:6]) + ("…" if len(names) > 6 else "")
        return f"Model <b>{self.source.name}</b> · {len(names)} classes ({shown})"

    def _disable_unusable_formats(self) -> None:
        model: QStandardItemModel = self.format_combo.model()
        first_enabled = None
        for i, f in enumerate(FORMATS):
            reason = self.source.problem(f.key)
            item = model.item(i)
            item.setEnabled(not reason)
            item.setToolTip(reason or f.help)
            if not reason and first_enabled is None:
                first_enabled = i
        if first_enabled is not None:
            self.format_combo.setCurrentIndex(first_enabled)
        else:
            self.export_button.setEnabled(False)

    @Slot()
    def _on_format_changed(self) -> None:
        f = FORMATS[self.format_combo.currentIndex()]
        self.help.setText(f"<small>{f.help}</small>")
        int8 = f.key == "tflite_int8"
        self.int8_limit_check.setEnabled(int8)
        self.int8_limit.setEnabled(int8 and self.int8_limit_check.isChecked())
        self.verify_check.setEnabled(f.key != "python")
        self.calibrated_check.setEnabled(
            self._temperature is not None and f.key != "python"
        )
        carries = not export_formats.tta_problem(f.key, "flip")
        self.tta_combo.setEnabled(carries)
        self.tta_combo.setToolTip(
            "The file averages its probabilities over the image and its mirror "
            "(flip) or also 2-pixel shifts (flip_shifts): more accurate, 2 or 6 "
            "times the time; still loads with plain keras.models.load_model"
            if carries
            else "Only the .keras format carries test-time augmentation"
        )
        current = self.path_edit.text().strip()
        base = (Path(current).parent if current else self.folder) / _stem(
            Path(current).name if current else self.source.name
        )
        self.path_edit.setText(str(base.with_name(base.name + f.suffix)))

    @Slot()
    def _on_browse_clicked(self) -> None:
        f = FORMATS[self.format_combo.currentIndex()]
        if f.suffix:
            path, _ = QFileDialog.getSaveFileName(
                self, "Export model", self.path_edit.text(), f"{f.title} (*{f.suffix})"
            )
            if path and not path.endswith(f.suffix):
                path += f.suffix
        else:
            path = QFileDialog.getExistingDirectory(
                self, "Export SavedModel into", str(self.folder)
            )
            if path:
                path = str(Path(path) / _stem(self.source.name))
        if path:
            self.path_edit.setText(path)

    @Slot(object)
    def _on_finished(self, done: ExportResult | VerificationFailed) -> None:
        self._set_busy(False)
        if isinstance(done, VerificationFailed):
            self._say(f"Export failed: {done}")
            self.verification.setText("\n".join(done.verification.lines()))
            self.failed.emit(str(done))
            return
        verdict = done.verification
        if verdict is None or verdict.passed:
            self.status.setText(colours.span(f"Exported to {done.path}", "ok"))
        else:
            self.status.setText(
                colours.span(f"Exported to {done.path}, not verified", "warning")
            )
        if verdict is not None:
            self.verification.setText("\n".join(verdict.lines()))
        self.exported.emit(str(done.path))

    @Slot(str, str)
    def _on_failed(self, message: str, details: str) -> None:
        self._set_busy(False)
        self._say(f"Export failed: {message}")
        self.failed.emit(message)

    def _set_busy(self, busy: bool) -> None:
        if not busy:
            self._worker = None
        self.progress.setVisible(busy)
        for w in (self.export_button, self.close_button, self.browse_button):
            w.setEnabled(not busy)
        self.format_combo.setEnabled(not busy)
        if busy or self.format_key() == "keras":
            self.tta_combo.setEnabled(not busy)
        self.path_edit.setEnabled(not busy)
        self.verify_check.setEnabled(not busy)
        if busy:
            for w in (self.int8_limit_check, self.int8_limit, self.calibrated_check):
                w.setEnabled(False)
        else:
            self._on_format_changed()

    def _say(self, text: str) -> None:
        self.status.setText(colours.span(text, "error"))


def _temperature_of(source: ExportSource) -> float | None:
    """The run's temperature, when the source is the run's own model.

    Final weights are exported under a ``-final-weights`` name (never passed
    off as the run's model); a temperature fitted for the run's model is not
    theirs. A record that cannot be read offers none.
    """
    if source.run is None or source.name.endswith("-final-weights"):
        return None
    try:
        return run_temperature(source.run)
    except WorkbenchError:
        return None


def _stem(name: str) -> str:
    """A file name without any export suffix (``m.keras`` -> ``m``)."""
    for f in FORMATS:
        if f.suffix and name.endswith(f.suffix):
            return name[: -len(f.suffix)]
    return name.removesuffix(".h5") or "model"
