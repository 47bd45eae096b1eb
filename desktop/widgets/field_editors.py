"""One small editor per Field kind of the core layer catalogue.

Every editor has the same face: ``value()``, ``set_value(v)`` (silent, used
when the stack changed) and ``value_edited(object)`` (only for user edits), so
the form can be generated from Field metadata without knowing the kinds.
Ranges come from the Field, so most invalid values cannot even be typed.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSignalBlocker, Signal, Slot
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from core.layers import Field
from core.setting_fields import SettingField
from desktop.widgets.wheel_guard import wheel_when_focused

_INT_MAX = 1_000_000
_FLOAT_MAX = 1e9
_PART_NAMES = {
    "pair": ("height", "width"),
    "optional_pair": ("height", "width"),
    "padding2d": ("top", "bottom", "left", "right"),
}


class FieldEditor(QWidget):
    """Base: a row of child widgets editing one option."""

    value_edited = Signal(object)

    def __init__(self, field: Field, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.field = field
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(4)
        self.setToolTip(field.help)

    def value(self) -> Any:
        raise NotImplementedError

    def set_value(self, value: Any) -> None:
        with QSignalBlocker(self):
            self._show(value)

    def _show(self, value: Any) -> None:
        raise NotImplementedError

    def set_tip(self, text: str) -> None:
        """Show ``text`` as the tooltip wherever the pointer rests on the editor.

        Its child widgets carry their own tooltips (the help), which Qt shows
        in preference to the editor's: a reason to be read must reach them.
        """
        self.setToolTip(text)
        for child in self.findChildren(QWidget):
            child.setToolTip(text)

    @Slot()
    def _on_child_edited(self, *_: Any) -> None:
        self.value_edited.emit(self.value())


def _int_spin(field: Field, minimum: float | None = None) -> QSpinBox:
    spin = wheel_when_focused(QSpinBox())
    low = field.minimum if minimum is None else minimum
    spin.setRange(int(low if low is not None else -_INT_MAX), _INT_MAX)
    if field.maximum is not None:
        spin.setMaximum(int(field.maximum) - int(field.exclusive_maximum))
    # Commit on Enter, focus-out or arrows, not on each digit typed: "128"
    # should not briefly build a 1- and a 12-filter model.
    spin.setKeyboardTracking(False)
    spin.setToolTip(field.help)
    return spin


class _FloatSpin(QDoubleSpinBox):
    """Shows values as %g so 1/255 and 1e-3 read naturally at any magnitude."""

    def textFromValue(self, value: float) -> str:
        return f"{value:.6g}"

    def valueFromText(self, text: str) -> float:
        try:
            return float(text)
        except ValueError:
            return self.value()

    def validate(self, text: str, pos: int) -> object:
        try:
            float(text)
        except ValueError:
            return QValidator.State.Intermediate, text, pos
        return QValidator.State.Acceptable, text, pos


def _float_spin(field: Field) -> _FloatSpin:
    spin = wheel_when_focused(_FloatSpin())
    spin.setDecimals(12)
    low = field.minimum if field.minimum is not None else -_FLOAT_MAX
    high = field.maximum if field.maximum is not None else _FLOAT_MAX
    if field.exclusive_maximum:
        high -= 0.001  # the largest value a user can reach, e.g. 0.999
    spin.setRange(low, high)
    bounded = field.maximum is not None and field.minimum is not None
    spin.setSingleStep(0.05 if bounded and high - low <= 1 else 0.1)
    spin.setKeyboardTracking(False)
    spin.setToolTip(field.help)
    return spin


class NumberEditor(FieldEditor):
    """int and float fields: one spin box with the field's range.

    ``spin`` replaces the default spin box (a settings form's, shaped by its
    step and decimals).
    """

    def __init__(
        self,
        field: Field,
        parent: QWidget | None = None,
        spin: QSpinBox | QDoubleSpinBox | None = None,
    ) -> None:
        super().__init__(field, parent)
        if spin is None:
            spin = _int_spin(field) if field.kind == "int" else _float_spin(field)
        self.spin = spin
        self._layout.addWidget(self.spin)
        self.spin.valueChanged.connect(self._on_child_edited)

    def value(self) -> Any:
        return self.spin.value()

    def _show(self, value: Any) -> None:
        with QSignalBlocker(self.spin):
            self.spin.setValue(value)


class BoolEditor(FieldEditor):
    """A check box; ``text`` beside it when the form shows no label for it."""

    def __init__(
        self, field: Field, parent: QWidget | None = None, text: str = ""
    ) -> None:
        super().__init__(field, parent)
        self.check = QCheckBox(text)
        self._layout.addWidget(self.check)
        self.check.toggled.connect(self._on_child_edited)

    def value(self) -> bool:
        return self.check.isChecked()

    def _show(self, value: Any) -> None:
        with QSignalBlocker(self.check):
            self.check.setChecked(bool(value))


class ChoiceEditor(FieldEditor):
    def __init__(self, field: Field, parent: QWidget | None = None) -> None:
        super().__init__(field, parent)
        self.combo = wheel_when_focused(QComboBox())
        self.combo.addItems(list(field.choices))
        self.combo.setMaxVisibleItems(20)
        self._layout.addWidget(self.combo)
        self.combo.currentTextChanged.connect(self._on_child_edited)

    def value(self) -> str:
        return self.combo.currentText()

    def disable_choices(self, reasons: dict[str, str]) -> None:
        """Offer each choice of ``reasons`` greyed out, its reason as its tip
        (a project holding one still shows it)."""
        model = self.combo.model()
        for choice, reason in reasons.items():
            item = model.item(self.combo.findText(choice))
            item.setEnabled(False)
            item.setToolTip(reason)

    def _show(self, value: Any) -> None:
        with QSignalBlocker(self.combo):
            self.combo.setCurrentText(str(value))


class TextEditor(FieldEditor):
    """A line of text, committed on Enter or focus-out.

    A field with ``choices`` (suggestions) gets an editable combo offering
    them; ``line`` is then the combo's line edit. The backbone's ``weights``
    field (``imagenet``, ``none`` or a path) also gets a Browse button for a
    local weights file (offline use).
    """

    def __init__(self, field: Field, parent: QWidget | None = None) -> None:
        super().__init__(field, parent)
        self.combo: QComboBox | None = None
        if field.choices:
            self.combo = wheel_when_focused(QComboBox())
            self.combo.setEditable(True)
            self.combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
            self.combo.addItems(list(field.choices))
            self.combo.setToolTip(field.help)
            self.line = self.combo.lineEdit()
            self._layout.addWidget(self.combo, 1)
            self.combo.textActivated.connect(self._on_combo_text_activated)
        else:
            self.line = QLineEdit()
            self._layout.addWidget(self.line, 1)
        self.line.setToolTip(field.help)
        self.line.editingFinished.connect(self._on_line_editing_finished)
        self._shown = ""
        self.browse_button: QPushButton | None = None
        if field.name == "weights":
            self.browse_button = QPushButton("Browse…")
            self.browse_button.setToolTip(
                "Use a local weights file (.h5 / .weights.h5), e.g. when offline"
            )
            self.browse_button.clicked.connect(self._on_browse_button_clicked)
            self._layout.addWidget(self.browse_button)

    def value(self) -> str:
        return self.line.text().strip()

    def _show(self, value: Any) -> None:
        self._shown = "" if value is None else str(value)
        if self.combo is not None:
            with QSignalBlocker(self.combo):
                self.combo.setCurrentText(self._shown)
        with QSignalBlocker(self.line):
            self.line.setText(self._shown)

    @Slot()
    def _on_line_editing_finished(self) -> None:
        if self.value() != self._shown:
            self._shown = self.value()
            self.value_edited.emit(self.value())

    @Slot(str)
    def _on_combo_text_activated(self, _text: str) -> None:
        self._on_line_editing_finished()

    @Slot()
    def _on_browse_button_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Local weights file", "", "Keras weights (*.h5 *.keras);;All (*)"
        )
        if path:
            self.line.setText(path)
            self._on_line_editing_finished()


class IntsEditor(FieldEditor):
    """Several ints side by side: a pair (h x w) or padding (top, bottom, ...)."""

    def __init__(
        self,
        field: Field,
        labels: tuple[str, ...],
        parent: QWidget | None = None,
        minimum: float | None = None,
    ) -> None:
        super().__init__(field, parent)
        self.spins: list[QSpinBox] = []
        for i, label in enumerate(labels):
            if label:
                self._layout.addWidget(QLabel(label))
            spin = _int_spin(field, minimum)
            spin.setToolTip(f"{field.help} ({_PART_NAMES[field.kind][i]})")
            spin.valueChanged.connect(self._on_child_edited)
            self._layout.addWidget(spin, 1)
            self.spins.append(spin)

    def value(self) -> Any:
        values = [s.value() for s in self.spins]
        if self.field.kind == "padding2d":
            return [values[:2], values[2:]]
        return values

    def _show(self, value: Any) -> None:
        flat = (
            [v for part in value for v in part]
            if self.field.kind == "padding2d"
            else value
        )
        for spin, v in zip(self.spins, flat, strict=True):
            with QSignalBlocker(spin):
                spin.setValue(v)


class OptionalEditor(FieldEditor):
    """A check box that switches between None ("auto") and an inner editor."""

    def __init__(
        self, field: Field, inner: FieldEditor, parent: QWidget | None = None
    ) -> None:
        super().__init__(field, parent)
        self.check = QCheckBox()
        self.check.setToolTip(f"Set a value; unchecked: {field.help}")
        self.inner = inner
        self._layout.addWidget(self.check)
        self._layout.addWidget(inner, 1)
        self.check.toggled.connect(self._on_check_toggled)
        inner.value_edited.connect(self._on_child_edited)

    def value(self) -> Any:
        return self.inner.value() if self.check.isChecked() else None

    def _show(self, value: Any) -> None:
        with QSignalBlocker(self.check):
            self.check.setChecked(value is not None)
        self.inner.setEnabled(value is not None)
        if value is not None:
            self.inner.set_value(value)

    def set_fallback(self, value: Any) -> None:
        """What the inner editor starts from when the box gets checked."""
        if not self.check.isChecked() and value is not None:
            self.inner.set_value(value)

    @Slot(bool)
    def _on_check_toggled(self, checked: bool) -> None:
        self.inner.setEnabled(checked)
        self._on_child_edited()


def editor_for(field: Field, parent: QWidget | None = None) -> FieldEditor:
    """The editor widget for one Field, chosen by its kind."""
    if field.kind in ("int", "float"):
        return NumberEditor(field, parent)
    if field.kind == "bool":
        return BoolEditor(field, parent)
    if field.kind == "choice":
        return ChoiceEditor(field, parent)
    if field.kind == "text":
        return TextEditor(field, parent)
    if field.kind == "pair":
        return IntsEditor(field, ("", "x"), parent)
    if field.kind == "padding2d":
        return IntsEditor(field, ("T", "B", "L", "R"), parent, minimum=0)
    if field.kind == "optional_pair":
        return OptionalEditor(field, IntsEditor(field, ("", "x")), parent)
    if field.kind == "optional_float":
        return OptionalEditor(field, NumberEditor(field), parent)
    raise ValueError(f"no editor for field kind {field.kind!r}")


def _setting_spin(field: SettingField) -> QSpinBox | QDoubleSpinBox:
    """A settings spin box: the field's range, step, decimals and prefix.

    Keyboard tracking stays on (unlike a layer option's): a settings value
    costs nothing to apply, and Ctrl+Return must start with what was typed.
    """
    low = 0 if field.minimum is None else field.minimum
    spin: QSpinBox | QDoubleSpinBox
    if field.kind == "int":
        spin = wheel_when_focused(QSpinBox())
        high = _INT_MAX if field.maximum is None else field.maximum
        spin.setRange(int(low), int(high) - int(field.exclusive_maximum))
    else:
        spin = wheel_when_focused(QDoubleSpinBox())
        if field.decimals is not None:
            spin.setDecimals(field.decimals)  # before the range, which it rounds
        high = _FLOAT_MAX if field.maximum is None else field.maximum
        if field.exclusive_maximum:
            # The largest value the box can show below the bound (0.99 for 1
            # at two decimals); rounding the bound itself would reach it.
            high -= 10.0 ** -spin.decimals()
        spin.setRange(low, high)
    if field.step is not None:
        spin.setSingleStep(field.step)
    spin.setPrefix(field.prefix)
    spin.setToolTip(field.help)
    return spin


def setting_editor(field: SettingField, parent: QWidget | None = None) -> FieldEditor:
    """The editor for one field of a settings dataclass (``core.setting_fields``)."""
    if field.kind in ("int", "float"):
        return NumberEditor(field, parent, spin=_setting_spin(field))
    if field.kind == "bool":
        return BoolEditor(field, parent, text=field.label)
    editor = editor_for(field, parent)
    if isinstance(editor, TextEditor):
        editor.line.setPlaceholderText(field.placeholder)
    return editor
