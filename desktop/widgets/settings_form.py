"""SettingsForm: group boxes of editors generated from a settings dataclass.

Each field's metadata (``core.setting_fields``) says its label, help, group,
row, range and enable rule, so the form holds no per-field code: a field added
to the config appears here by itself. As LayerParamsForm, the form never
changes a setting; it reports what the user asked for (``edited``) and shows
what it is given (``show_config``), so undo and every other view stay with
whoever owns the settings.

Two things a field's declaration may add. A ``needs`` the machine does not
meet (no GPU, an extra not installed) keeps its switch off with the reason as
its tooltip; a project that has it on may still turn it off. A choice's unmet
need (``choice_needs``) greys that choice out with its reason. A value outside
the field's bounds (recorded by an older version) is shown flagged, with a
tooltip saying it is kept until the user changes it.
"""

from __future__ import annotations

from dataclasses import asdict
from itertools import groupby
from typing import Any

from PySide6.QtCore import QSignalBlocker, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QVBoxLayout,
    QWidget,
)

from core.setting_fields import SettingField, setting_fields
from desktop.widgets.field_editors import FieldEditor, setting_editor

_FLAGGED = "QAbstractSpinBox, QComboBox, QLineEdit { border: 2px solid #d08000; }"


class SettingsForm(QWidget):
    """One group box per ``group``, one form row per ``row``, in field order."""

    edited = Signal(str, object)  # field name, the value the user chose
    switched = Signal(str, bool)  # a "switch" field's check box: name, on

    def __init__(self, config_class: type, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.fields = setting_fields(config_class)
        self.editors: dict[str, FieldEditor] = {}
        self.groups: dict[str, QGroupBox] = {}
        self.switches: dict[str, QGroupBox] = {}  # a "group" field: its box
        self._switch_of: dict[str, str] = {}  # group title: its "group" field
        self.switch_checks: dict[str, QCheckBox] = {}  # a "switch" field's
        # Why this machine cannot use a field (its declared need), by name.
        self.unmet = {f.name: r for f in self.fields if (r := f.unmet_need())}
        # ... and each choice it cannot use, by field name: {choice: why}.
        self.unmet_choices = {
            f.name: r for f in self.fields if (r := f.unmet_choices())
        }
        self.flagged: dict[str, str] = {}  # out-of-bounds values shown: why
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
        self.flagged = {}
        for name, editor in self.editors.items():
            field = editor.field
            editor.set_value(values[name])
            # Unmet, a switch stays on only to be turned off.
            usable = name not in self.unmet or bool(values[name])
            editor.setEnabled(usable and self._is_on(field, values))
            problem = field.problem(values[name])
            if problem:
                self.flagged[name] = (
                    f"{values[name]!r} was recorded by an older version; "
                    f"{field.label} {problem}. It is kept until you change it."
                )
            tip = (
                self.flagged.get(name)
                or self.unmet.get(name)
                or self.unmet_choices.get(name, {}).get(values[name])
                or field.help
            )
            editor.set_tip(tip)
            editor.setProperty("flagged", name in self.flagged)
            editor.setStyleSheet(_FLAGGED if name in self.flagged else "")

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
            if field.name in self.unmet_choices:
                editor.disable_choices(self.unmet_choices[field.name])
            editor.value_edited.connect(self._on_editor_value_edited)
            self.editors[field.name] = editor
            editors.append(editor)
        labelled = first.style in ("field", "switch")
        shown: QWidget | QHBoxLayout = editors[0]
        if len(editors) > 1 or first.indent:
            shown = QHBoxLayout()
            if first.indent:
                shown.addSpacing(first.indent)
            for i, editor in enumerate(editors):
                # A labelled row's own field takes the room; the rest sit beside.
                shown.addWidget(editor, 1 if labelled and i == 0 else 0)
        if first.style == "switch":
            check = QCheckBox(first.label)
            check.setToolTip(first.help)
            check.toggled.connect(
                lambda on, name=first.name: self.switched.emit(name, on)
            )
            self.switch_checks[first.name] = check
            form.addRow(check, shown)
        elif labelled:
            form.addRow(first.label, shown)
        else:
            form.addRow(shown)

    @Slot(object)
    def _on_editor_value_edited(self, value: Any) -> None:
        editor = self.sender()
        if isinstance(editor, FieldEditor):
            self.edited.emit(editor.field.name, value)
