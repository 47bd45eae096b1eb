"""AugmentationForm: the Augmentation page's "Transforms" box, generated.

The controls come from ``AugmentationConfig``'s declarations (a
``SettingsForm``): one switch and amount per random transform, the flip, fill
mode and placement; a preset combo heads the box. The form turns a user's
edit into the whole new ``AugmentationConfig`` (``edited``), with one undo
merge key per setting; the page pushes it as an undo step, and the form shows
the document's config again when it changes (``show_config``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any, cast

from PySide6.QtCore import QSignalBlocker, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QVBoxLayout,
    QWidget,
)

from core.augmentation.config import (
    AMOUNTS,
    FIELDS,
    PRESETS,
    TRANSFORMS_GROUP,
    AugmentationConfig,
)
from desktop.widgets.field_editors import NumberEditor
from desktop.widgets.settings_form import SettingsForm
from desktop.widgets.wheel_guard import wheel_when_focused

CUSTOM = "(custom)"


class AugmentationForm(QWidget):
    """The controls; ``config()`` gives the settings an edit starts from."""

    edited = Signal(object, str, str)  # new AugmentationConfig, merge key, undo text

    def __init__(
        self,
        config: Callable[[], AugmentationConfig],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._config = config
        self.settings = SettingsForm(AugmentationConfig, self)
        self.box = self.settings.groups[TRANSFORMS_GROUP]
        self.preset_combo = wheel_when_focused(QComboBox())
        self.preset_combo.addItems([CUSTOM, *PRESETS])
        cast(QFormLayout, self.box.layout()).insertRow(0, "Preset", self.preset_combo)
        self.toggles: dict[str, QCheckBox] = self.settings.switch_checks
        self.amounts: dict[str, QAbstractSpinBox] = {
            name: cast(NumberEditor, self.settings.editors[name]).spin
            for name in AMOUNTS
        }
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.settings)
        self.preset_combo.currentTextChanged.connect(self._on_preset_combo_changed)
        self.settings.edited.connect(self._on_settings_edited)
        self.settings.switched.connect(self._on_settings_switched)

    def show_config(self, config: AugmentationConfig) -> None:
        """Show ``config`` in the controls without announcing an edit."""
        self.settings.show_config(config)
        for name, toggle in self.toggles.items():
            with QSignalBlocker(toggle):
                toggle.setChecked(config.active(name))
        preset = next((k for k, v in PRESETS.items() if v == config), CUSTOM)
        with QSignalBlocker(self.preset_combo):
            self.preset_combo.setCurrentText(preset)

    @Slot(str, object)
    def _on_settings_edited(self, name: str, value: Any) -> None:
        new = replace(self._config(), **{name: value})
        if name in self.toggles and float(value) > 0:
            new = new.switched(name, True)
        self.edited.emit(new, name, f"Change {FIELDS[name].label}")

    @Slot(str, bool)
    def _on_settings_switched(self, name: str, on: bool) -> None:
        new = self._config().switched(name, on)
        if on and float(getattr(new, name)) == 0:
            new = replace(new, **{name: FIELDS[name].step})
        self.edited.emit(
            new,
            f"toggle {name}",
            f"{'Enable' if on else 'Disable'} {FIELDS[name].label}",
        )

    @Slot(str)
    def _on_preset_combo_changed(self, name: str) -> None:
        if name in PRESETS:
            self.edited.emit(PRESETS[name], "preset", f"Augmentation preset {name}")
