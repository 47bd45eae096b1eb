"""SweepSpace: tick the settings a sweep varies, and give each its range.

The list is ``core.sweeps.space.sweepable_settings`` of the open project
(training, augmentation, then each layer's options), so a setting appears
here exactly when a sweep may vary it, with its declared bounds. Ticking one
starts its range around the current value (``sweep_ranges``); the editor
below the list changes the current one's range: minimum, maximum, a log
scale or a step for a number, the values to try for a choice or a switch.
The widget only edits ``vary`` (SWEEP.json's) and says ``changed``; the
sweep's own checks (``core.sweeps.spec``) judge it.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSignalBlocker, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.sweeps.space import AUGMENTATION, TRAINING, Sweepable
from desktop.widgets.field_editors import _float_spin, _int_spin
from desktop.widgets.sweep_ranges import range_words, starting_range

KEY_ROLE = Qt.ItemDataRole.UserRole
GROUPS = {TRAINING: "Training", AUGMENTATION: "Augmentation"}
HINT = "Tick a setting to vary it; its range shows here."
NAME_PX = 200  # the names' column at most: the ranges keep the rest


class SweepSpace(QWidget):
    """The tickable list of what may vary, and the current one's range."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings: dict[str, Sweepable] = {}
        self.ranges: dict[str, dict[str, Any]] = {}  # SWEEP.json's "vary"
        self.items: dict[str, QTreeWidgetItem] = {}
        self.tree = QTreeWidget()
        self.tree.setColumnCount(2)
        self.tree.setHeaderLabels(["Vary", "Range"])
        self.tree.setUniformRowHeights(True)
        self.tree.setToolTip("The settings a sweep may vary: tick the ones to search")
        self.editor_box = QVBoxLayout()
        self.editor_box.setContentsMargins(0, 0, 0, 0)
        self.editor: QWidget = QLabel(HINT)
        self.editor_box.addWidget(self.editor)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tree, 1)
        layout.addLayout(self.editor_box)
        self.tree.itemChanged.connect(self._on_item_changed)
        self.tree.currentItemChanged.connect(self._on_current_item_changed)

    def set_settings(self, settings: list[Sweepable]) -> None:
        """List ``settings`` (the project's); ranges of keys it lacks are dropped."""
        self.settings = {s.key: s for s in settings}
        self.ranges = {k: r for k, r in self.ranges.items() if k in self.settings}
        with QSignalBlocker(self.tree):
            self.tree.clear()
            self.items = {}
            groups: dict[str, QTreeWidgetItem] = {}
            for s in settings:
                title = GROUPS.get(s.section) or s.label.split(": ", 1)[0]
                group = groups.get(title)
                if group is None:
                    group = QTreeWidgetItem(self.tree, [title])
                    group.setFlags(Qt.ItemFlag.ItemIsEnabled)
                    groups[title] = group
                item = QTreeWidgetItem(group, [s.label.split(": ", 1)[-1], ""])
                item.setData(0, KEY_ROLE, s.key)
                item.setToolTip(0, f"{s.key}: {s.help}" if s.help else s.key)
                item.setFlags(
                    Qt.ItemFlag.ItemIsEnabled
                    | Qt.ItemFlag.ItemIsSelectable
                    | Qt.ItemFlag.ItemIsUserCheckable
                )
                self.items[s.key] = item
            for key in self.items:
                self._show_item(key)
            for title, group in groups.items():
                group.setExpanded(
                    title == GROUPS[TRAINING]
                    or any(k in self.ranges for k in _keys_of(group))
                )
        self.tree.resizeColumnToContents(0)
        self.tree.setColumnWidth(0, min(self.tree.columnWidth(0), NAME_PX))
        self._show_editor(None)

    def set_vary(self, vary: dict[str, dict[str, Any]]) -> None:
        """Show ``vary`` (a sweep's, reloaded); keys not listed are dropped."""
        self.ranges = {k: dict(r) for k, r in vary.items() if k in self.settings}
        with QSignalBlocker(self.tree):
            for key in self.items:
                self._show_item(key)
                if key in self.ranges:
                    self.items[key].parent().setExpanded(True)
        self._show_editor(None)

    def vary(self) -> dict[str, dict[str, Any]]:
        return {k: dict(r) for k, r in self.ranges.items()}

    def tick(self, key: str, on: bool = True) -> None:
        """Vary ``key`` (from its starting range) or stop varying it: a click."""
        self.items[key].setCheckState(
            0, Qt.CheckState.Checked if on else Qt.CheckState.Unchecked
        )
        self.tree.setCurrentItem(self.items[key])

    def set_range(self, key: str, raw: dict[str, Any]) -> None:
        """``key``'s range is ``raw`` now (the editor below the list)."""
        self.ranges[key] = raw
        with QSignalBlocker(self.tree):
            self._show_item(key)
        self.changed.emit()

    def _show_item(self, key: str) -> None:
        item, raw = self.items[key], self.ranges.get(key)
        on = raw is not None
        item.setCheckState(0, Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
        item.setText(1, range_words(raw) if on else "")
        item.setToolTip(1, item.text(1))

    @Slot(QTreeWidgetItem, int)
    def _on_item_changed(self, item: QTreeWidgetItem, column: int) -> None:
        key = item.data(0, KEY_ROLE)
        if column != 0 or key is None:
            return
        on = item.checkState(0) == Qt.CheckState.Checked
        if on == (key in self.ranges):
            return
        if on:
            self.ranges[key] = starting_range(self.settings[key])
        else:
            del self.ranges[key]
        with QSignalBlocker(self.tree):
            self._show_item(key)
        self._show_editor(key if self.tree.currentItem() is item else None)
        self.changed.emit()

    @Slot(QTreeWidgetItem, QTreeWidgetItem)
    def _on_current_item_changed(self, item: QTreeWidgetItem | None, _old) -> None:
        self._show_editor(item.data(0, KEY_ROLE) if item is not None else None)

    def _show_editor(self, key: str | None) -> None:
        """The range editor of ``key`` when it varies, else the hint."""
        self.editor_box.removeWidget(self.editor)
        self.editor.deleteLater()
        if key is None or key not in self.ranges:
            self.editor = QLabel(HINT)
        elif self.settings[key].kind in ("choice", "bool"):
            self.editor = ValuesRange(self, self.settings[key], self.ranges[key])
        else:
            self.editor = NumberRange(self, self.settings[key], self.ranges[key])
        self.editor_box.addWidget(self.editor)


class ValuesRange(QWidget):
    """The choices (or true and false) a sweep tries, ticked in a list."""

    def __init__(self, space: SweepSpace, setting: Sweepable, raw: dict) -> None:
        super().__init__()
        self.space, self.key = space, setting.key
        self.list = QListWidget()
        self.list.setMaximumHeight(110)
        chosen = raw.get("values") or []
        for value in setting.choices or (True, False):
            item = QListWidgetItem(
                str(value).lower() if value in (True, False) else value
            )
            item.setData(KEY_ROLE, value)
            item.setCheckState(
                Qt.CheckState.Checked if value in chosen else Qt.CheckState.Unchecked
            )
            self.list.addItem(item)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel(f"{setting.label}: the values to try"))
        layout.addWidget(self.list)
        self.list.itemChanged.connect(self._on_list_item_changed)

    def check(self, value: Any, on: bool = True) -> None:
        """Tick ``value`` in or out, as a click does."""
        for i in range(self.list.count()):
            item = self.list.item(i)
            if item.data(KEY_ROLE) == value:
                item.setCheckState(
                    Qt.CheckState.Checked if on else Qt.CheckState.Unchecked
                )

    @Slot(QListWidgetItem)
    def _on_list_item_changed(self, _item: QListWidgetItem) -> None:
        values = [
            self.list.item(i).data(KEY_ROLE)
            for i in range(self.list.count())
            if self.list.item(i).checkState() == Qt.CheckState.Checked
        ]
        self.space.set_range(self.key, {"values": values})


class NumberRange(QWidget):
    """A number's minimum and maximum, and a log scale or a step."""

    def __init__(self, space: SweepSpace, setting: Sweepable, raw: dict) -> None:
        super().__init__()
        self.space, self.key, self.setting = space, setting.key, setting
        whole = setting.kind == "int"
        make = _int_spin if whole else _float_spin
        self.low, self.high, self.step = make(setting), make(setting), make(setting)
        self.step.setMinimum(0)
        self.step.setSpecialValueText("none")
        self.step.setToolTip("Try only min, min + step, ...; none: any value")
        for spin in (self.low, self.high, self.step):
            spin.setButtonSymbols(QAbstractSpinBox.ButtonSymbols.NoButtons)
        self.log = QCheckBox("log scale")
        self.log.setToolTip("Draw evenly in the logarithm: for values spanning decades")
        self.low.setValue(raw.get("min", 0))
        self.high.setValue(raw.get("max", 0))
        self.step.setValue(raw.get("step") or 0)
        self.log.setChecked(bool(raw.get("log")))
        ends = QHBoxLayout()
        ends.addWidget(self.low, 1)
        ends.addWidget(QLabel("to"))
        ends.addWidget(self.high, 1)
        extra = QHBoxLayout()
        extra.addWidget(self.log)
        extra.addWidget(QLabel("step"))
        extra.addWidget(self.step, 1)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow(QLabel(setting.label))
        form.addRow("From", ends)
        form.addRow("", extra)
        for spin in (self.low, self.high, self.step):
            spin.valueChanged.connect(self._on_edited)
        self.log.toggled.connect(self._on_edited)

    @Slot()
    def _on_edited(self, *_: Any) -> None:
        raw: dict[str, Any] = {"min": self.low.value(), "max": self.high.value()}
        if self.log.isChecked():
            raw["log"] = True
        if self.step.value():
            raw["step"] = self.step.value()
        self.space.set_range(self.key, raw)


def _keys_of(group: QTreeWidgetItem) -> list[str]:
    return [group.child(i).data(0, KEY_ROLE) for i in range(group.childCount())]
