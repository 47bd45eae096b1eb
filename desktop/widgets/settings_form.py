"""SettingsForm: group boxes of editors generated from a settings dataclass.

Each field's metadata (``core.setting_fields``) says its label, help, group,
row, range and enable rule, so the form holds no per-field code: a field added
to the config appears here by itself. As LayerParamsForm, the form never
changes a setting; it reports what the user asked for (``edited``) and shows
what it is given (``show_config``), so undo and every other view stay with
whoever owns the settings.
"""

from __future__ import annotations

from dataclasses import asdict
from itertools import groupby
from typing import Any

from PySide6.QtCore import QSignalBlocker, Signal, Slot
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QVBoxLayout,
    QWidget,
)

from core.setting_fields import SettingField, setting_fields
from desktop.widgets.field_editors import FieldEditor, setting_editor


class SettingsForm(QWidget):
    """One group box per ``group``, one form row per ``row``, in field order."""

    edited = Signal(str, object)  # field name, the value the user chose

    def __init__(self, config_class: type, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.fields = setting_fields(config_class)
        self.editors: dict[str, FieldEditor] = {}
        self.groups: dict[str, QGroupBox] = {}
        self.switches: dict[str, QGroupBox] = {}  # a "group" field: its box
        self._switch_of: dict[str, str] = {}  # group title: its "group" field
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        for title, members in groupby(self.fields, key=lambda f: f.group):
            box = QGroupBox(title)
            form = QFormLayout(box)
            for _, row in groupby(members, key=lambda f: f.row or f.name):
                self._add_row(box, form, list(row))
            column.addWidget(box)
            self.groups[title] = box
        column.addStretch(1)

    def show_config(self, config: Any) -> None:
        """Show ``config`` without reporting it as an edit; apply the enable rules."""
        values = asdict(config)
        for name, box in self.switches.items():
            with QSignalBlocker(box):
                box.setChecked(values[name])
        for name, editor in self.editors.items():
            editor.set_value(values[name])
            editor.setEnabled(self._is_on(editor.field, values))

    def _is_on(self, field: SettingField, values: dict[str, Any]) -> bool:
        """The field's rule, and off while its group box is unchecked.

        A checkable group disables its fields when unchecked; enabling one
        here must not undo that.
        """
        switch = self._switch_of.get(field.group)
        return field.is_used(values) and (switch is None or values[switch])

    def _add_row(
        self, box: QGroupBox, form: QFormLayout, row: list[SettingField]
    ) -> None:
        first = row[0]
        if first.style == "group":
            box.setCheckable(True)
            box.setToolTip(first.help)
            box.toggled.connect(lambda on, name=first.name: self.edited.emit(name, on))
            self.switches[first.name] = box
            self._switch_of[first.group] = first.name
            return
        editors = []
        for field in row:
            editor = setting_editor(field)
            editor.value_edited.connect(self._on_editor_value_edited)
            self.editors[field.name] = editor
            editors.append(editor)
        labelled = first.style == "field"
        shown: QWidget | QHBoxLayout = editors[0]
        if len(editors) > 1 or first.indent:
            shown = QHBoxLayout()
            if first.indent:
                shown.addSpacing(first.indent)
            for i, editor in enumerate(editors):
                # A labelled row's own field takes the room; the rest sit beside.
                shown.addWidget(editor, 1 if labelled and i == 0 else 0)
        if labelled:
            form.addRow(first.label, shown)
        else:
            form.addRow(shown)

    @Slot(object)
    def _on_editor_value_edited(self, value: Any) -> None:
        editor = self.sender()
        if isinstance(editor, FieldEditor):
            self.edited.emit(editor.field.name, value)
