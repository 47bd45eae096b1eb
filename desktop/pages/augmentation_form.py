"""AugmentationForm: the Augmentation page's "Transforms" box.

One switch and amount per random transform, the flip, fill mode and
placement, and a preset. The form turns a user's edit into the whole new
``AugmentationConfig`` (``edited``); the page pushes it as an undo step, and
the form shows the document's config again when it changes (``show_config``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QWidget,
)

from core.augmentation.config import (
    FILL_MODES,
    FLIPS,
    PLACEMENTS,
    PRESETS,
    RANGES,
    AugmentationConfig,
)
from desktop.widgets.wheel_guard import wheel_when_focused

_LABELS = {
    "rotation": "Rotation (°)",
    "zoom": "Zoom",
    "shear": "Shear (°)",
    "width_shift": "Width shift",
    "height_shift": "Height shift",
    "brightness": "Brightness",
    "contrast": "Contrast",
    "crop": "Random crop",
    "noise": "Gaussian noise",
    "mixup": "MixUp alpha",
    "cutmix": "CutMix alpha",
}


class AugmentationForm(QGroupBox):
    """The controls; ``config()`` gives the settings an edit starts from."""

    edited = Signal(object, str, str)  # new AugmentationConfig, merge key, undo text

    def __init__(
        self,
        config: Callable[[], AugmentationConfig],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Transforms", parent)
        self._config = config
        self._updating = False
        self.preset_combo = wheel_when_focused(QComboBox())
        self.preset_combo.addItems(["(custom)", *PRESETS])
        self.flip_combo = wheel_when_focused(QComboBox())
        self.flip_combo.addItems(FLIPS)
        self.fill_combo = wheel_when_focused(QComboBox())
        self.fill_combo.addItems(FILL_MODES)
        self.placement_combo = wheel_when_focused(QComboBox())
        self.placement_combo.addItems(PLACEMENTS)
        self.placement_combo.setToolTip(
            "Where training applies augmentation; auto = the tf.data pipeline "
            "(measured faster here)"
        )
        self.toggles: dict[str, QCheckBox] = {}
        self.amounts: dict[str, QDoubleSpinBox] = {}
        form = QFormLayout()
        form.addRow("Preset", self.preset_combo)
        form.addRow("Flip", self.flip_combo)
        for name, low, high, excluded, meaning in RANGES:
            toggle = QCheckBox(_LABELS[name])
            spin = wheel_when_focused(QDoubleSpinBox())
            spin.setDecimals(2 if high <= 10 else 1)
            spin.setRange(low, high - (0.01 if excluded else 0))
            spin.setSingleStep(0.05 if high <= 1 else 1)
            spin.setKeyboardTracking(False)
            spin.setToolTip(meaning)
            self.toggles[name], self.amounts[name] = toggle, spin
            form.addRow(toggle, spin)
        form.addRow("Fill mode", self.fill_combo)
        form.addRow("Placement", self.placement_combo)
        self.setLayout(form)
        self._connect()

    def _connect(self) -> None:
        self.preset_combo.currentTextChanged.connect(self._on_preset_combo_changed)
        for combo, key in (
            (self.flip_combo, "flip"),
            (self.fill_combo, "fill_mode"),
            (self.placement_combo, "placement"),
        ):
            combo.currentTextChanged.connect(lambda text, k=key: self._edit(k, text))
        for name in self.toggles:
            self.toggles[name].toggled.connect(lambda on, n=name: self._toggle(n, on))
            self.amounts[name].valueChanged.connect(lambda v, n=name: self._edit(n, v))

    def show_config(self, config: AugmentationConfig) -> None:
        """Show ``config`` in the controls without announcing an edit."""
        self._updating = True
        self.flip_combo.setCurrentText(config.flip)
        self.fill_combo.setCurrentText(config.fill_mode)
        self.placement_combo.setCurrentText(config.placement)
        for name in self.toggles:
            value = float(getattr(config, name))
            self.amounts[name].setValue(value)
            self.toggles[name].setChecked(value > 0 and name not in config.off)
        preset = next((k for k, v in PRESETS.items() if v == config), "(custom)")
        self.preset_combo.setCurrentText(preset)
        self._updating = False

    def _edit(self, key: str, value: object) -> None:
        if self._updating:
            return
        new = replace(self._config(), **{key: value})
        if key in self.toggles and float(value) > 0:
            new = new.switched(key, True)
        self.edited.emit(new, key, f"Change {key.replace('_', ' ')}")

    def _toggle(self, name: str, on: bool) -> None:
        if self._updating:
            return
        new = self._config().switched(name, on)
        if on and float(getattr(new, name)) == 0:
            low = self.amounts[name].singleStep()
            new = replace(new, **{name: low})
        self.edited.emit(
            new,
            f"toggle {name}",
            f"{'Enable' if on else 'Disable'} {name.replace('_', ' ')}",
        )

    @Slot(str)
    def _on_preset_combo_changed(self, name: str) -> None:
        if not self._updating and name in PRESETS:
            self.edited.emit(PRESETS[name], "preset", f"Augmentation preset {name}")
