"""LayerParamsForm: the selected layer's name and options, generated from Fields.

The form never changes the stack itself. It emits what the user asked for
(``option_edited``, ``name_edited``) and the page pushes undo commands; the
stack's events then come back through ``set_layer``, which updates editors in
place so a spin box keeps focus while its own edit is applied.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from core.layers import layer_kind
from core.spec import LayerSpec, valid_layer_name
from desktop import colours
from desktop.widgets.field_editors import FieldEditor, OptionalEditor, editor_for


class LayerParamsForm(QWidget):
    """Editors for one layer; rebuilt only when the layer kind changes."""

    option_edited = Signal(str, object)
    name_edited = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._class_name: str | None = None
        self._layer: LayerSpec | None = None
        self.editors: dict[str, FieldEditor] = {}
        self.title = QLabel()
        self.title.setObjectName("formTitle")
        self.title.setWordWrap(True)
        self.name_edit = QLineEdit()
        self.name_edit.setToolTip(
            "Layer name: letters, digits, _ . - (used by Keras and Grad-CAM)"
        )
        self.name_edit.editingFinished.connect(self._on_name_edit_editing_finished)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet(f"color: {colours.css('error')};")
        self._fields = QWidget()
        self._form = QFormLayout(self._fields)
        self._form.setContentsMargins(0, 0, 0, 0)
        self._form.setFieldGrowthPolicy(
            QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow
        )
        self._form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        # A backbone's weights and resize fields are wider than the pane's
        # narrowest: such a row puts its field under its label instead of
        # making the pane scroll sideways.
        self._form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self._fields)
        layout.addWidget(self.message)
        layout.addStretch(1)
        self.set_layer(None)

    def set_layer(self, layer: LayerSpec | None, locked: bool = False) -> None:
        """Show ``layer`` (None: nothing selected); ``locked`` disables editing."""
        self._layer = layer
        self.message.clear()
        if layer is None:
            self._rebuild(None)
            self.title.setText("<i>Select a layer to edit its options.</i>")
            return
        if layer.class_name != self._class_name:
            self._rebuild(layer.class_name)
        self.title.setText(
            f"<b>{layer.class_name}</b> · {layer_kind(layer.class_name).description}"
            + ("<br><i>Set by the classes in the head settings.</i>" if locked else "")
        )
        self.name_edit.setText(layer.name)
        for name, editor in self.editors.items():
            value = layer.config.get(name, editor.field.default)
            if isinstance(editor, OptionalEditor):
                # "None" strides mean "same as the pool": start from that.
                editor.set_fallback(layer.config.get("pool_size"))
            editor.set_value(value)
            # Options that have no effect with the others (Field.used_when).
            used = editor.field.is_used(layer.config)
            editor.setEnabled(used)
            label = self._form.labelForField(editor)
            if label is not None:
                label.setEnabled(used)
        self._fields.setEnabled(not locked)

    def _rebuild(self, class_name: str | None) -> None:
        while self._form.rowCount():
            # takeRow keeps the name edit alive; editors are dropped later.
            row = self._form.takeRow(0)
            if row.fieldItem and row.fieldItem.widget() is not self.name_edit:
                row.fieldItem.widget().deleteLater()
            if row.labelItem and row.labelItem.widget():
                row.labelItem.widget().deleteLater()
        self.editors = {}
        self._class_name = class_name
        if class_name is None:
            # Out of the form it stays where it was drawn: after a preset,
            # the last layer's name stood under "Select a layer".
            self.name_edit.hide()
            return
        self._form.addRow("Name", self.name_edit)
        self.name_edit.show()
        for field in layer_kind(class_name).fields:
            editor = editor_for(field)
            editor.value_edited.connect(self._on_editor_value_edited)
            label = QLabel(field.label)
            label.setToolTip(field.help)
            self._form.addRow(label, editor)
            self.editors[field.name] = editor

    def show_problem(self, text: str) -> None:
        """Say why an edit was refused (shown under the fields)."""
        self.message.setText(text)

    @Slot(object)
    def _on_editor_value_edited(self, value: Any) -> None:
        editor = self.sender()
        if isinstance(editor, FieldEditor):
            self.message.clear()
            self.option_edited.emit(editor.field.name, value)

    @Slot()
    def _on_name_edit_editing_finished(self) -> None:
        if self._layer is None:
            return
        name = self.name_edit.text().strip()
        if name == self._layer.name:
            return
        if not valid_layer_name(name):
            self.show_problem(
                f"{name!r} is not a valid name: start with a letter; use letters, "
                "digits, _ . - (and not 'image' or 'classifier')"
            )
            self.name_edit.setText(self._layer.name)
            return
        self.name_edited.emit(name)
