"""ModelIoEditor: the input image shape and the classifier head settings.

The dataset page will usually set both from the data; here the user can set
them by hand. Edits are emitted as whole InputSpec/HeadSpec values so the page
pushes one undo command per edit (consecutive edits of one field merge).
"""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QWidget,
)

from core.spec import HeadSpec, InputSpec, ModelSpec
from desktop.widgets.wheel_guard import wheel_when_focused

CHANNELS = ((1, "1 · grayscale"), (3, "3 · RGB"), (4, "4 · RGBA"))
# Short enough to show whole in the head's half of the row at 1366x768; the
# loss each implies has its own row.
BINARY = (("sigmoid", "1 sigmoid unit"), ("softmax", "2 softmax units"))
LOSS = {"sigmoid": "binary cross-entropy", "softmax": "categorical cross-entropy"}


def _spin(minimum: int, maximum: int, tip: str) -> QSpinBox:
    spin = wheel_when_focused(QSpinBox())
    spin.setRange(minimum, maximum)
    spin.setKeyboardTracking(False)
    spin.setToolTip(tip)
    return spin


class ModelIoEditor(QWidget):
    """Two compact groups side by side: Input and Classifier head."""

    input_edited = Signal(object)  # InputSpec
    head_edited = Signal(object)  # HeadSpec

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.height_spin = _spin(1, 4096, "Image height in pixels")
        self.width_spin = _spin(1, 4096, "Image width in pixels")
        self.channels_combo = wheel_when_focused(QComboBox())
        for value, text in CHANNELS:
            self.channels_combo.addItem(text, value)
        self.channels_combo.setToolTip("Colour channels per pixel")
        self.classes_spin = _spin(2, 10_000, "Number of classes to predict")
        self.binary_combo = wheel_when_focused(QComboBox())
        for value, text in BINARY:
            self.binary_combo.addItem(text, value)
        self.binary_combo.setToolTip(
            "With 2 classes Keras tutorials use one sigmoid unit; two softmax "
            "units give the same model family with a softmax output."
        )
        self.binary_label = QLabel("Output")
        # Shown instead of the combo when there is no choice to make.
        self.multi_output = QLabel()
        self.multi_output.setObjectName("headOutput")
        self.multi_output.setWordWrap(True)
        self.loss = QLabel()
        self.loss.setWordWrap(True)
        self.loss.setToolTip("The loss the head's output is trained with")
        for combo in (self.channels_combo, self.binary_combo):
            # Long item texts must not dictate the window's minimum width.
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            combo.setMinimumContentsLength(10)
        output = QHBoxLayout()
        output.setContentsMargins(0, 0, 0, 0)
        output.addWidget(self.binary_combo, 1)
        output.addWidget(self.multi_output, 1)

        size = QHBoxLayout()
        size.setSpacing(4)
        size.addWidget(self.height_spin, 1)
        size.addWidget(QLabel("x"))
        size.addWidget(self.width_spin, 1)
        input_box = QGroupBox("Input")
        input_form = QFormLayout(input_box)
        input_form.addRow("Size (h x w)", size)
        input_form.addRow("Channels", self.channels_combo)
        head_box = QGroupBox("Classifier head")
        head_form = QFormLayout(head_box)
        head_form.addRow("Classes", self.classes_spin)
        head_form.addRow(self.binary_label, output)
        head_form.addRow("Loss", self.loss)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(input_box, 1)
        layout.addWidget(head_box, 1)

        for spin in (self.height_spin, self.width_spin):
            spin.valueChanged.connect(self._on_input_widget_changed)
        self.channels_combo.currentIndexChanged.connect(self._on_input_widget_changed)
        self.classes_spin.valueChanged.connect(self._on_head_widget_changed)
        self.binary_combo.currentIndexChanged.connect(self._on_head_widget_changed)

    def set_spec(self, spec: ModelSpec) -> None:
        """Show the spec's input and head without emitting edits."""
        widgets = (
            self.height_spin,
            self.width_spin,
            self.channels_combo,
            self.classes_spin,
            self.binary_combo,
        )
        blockers = [QSignalBlocker(w) for w in widgets]
        self.height_spin.setValue(spec.input.height)
        self.width_spin.setValue(spec.input.width)
        self.channels_combo.setCurrentIndex(
            max(0, self.channels_combo.findData(spec.input.channels))
        )
        self.classes_spin.setValue(spec.head.num_classes)
        self.binary_combo.setCurrentIndex(
            max(0, self.binary_combo.findData(spec.head.binary))
        )
        for blocker in blockers:
            blocker.unblock()
        self._update_binary_visibility()

    def _update_binary_visibility(self) -> None:
        # The sigmoid/softmax choice only exists for exactly two classes.
        classes = self.classes_spin.value()
        binary = classes == 2
        self.binary_combo.setVisible(binary)
        self.multi_output.setVisible(not binary)
        self.multi_output.setText(f"{classes} softmax units")
        self.loss.setText(
            LOSS[self.binary_combo.currentData() if binary else "softmax"]
        )

    @Slot()
    def _on_input_widget_changed(self) -> None:
        self.input_edited.emit(
            InputSpec(
                self.height_spin.value(),
                self.width_spin.value(),
                int(self.channels_combo.currentData()),
            )
        )

    @Slot()
    def _on_head_widget_changed(self) -> None:
        self._update_binary_visibility()
        self.head_edited.emit(
            HeadSpec(self.classes_spin.value(), self.binary_combo.currentData())
        )
