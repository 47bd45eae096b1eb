"""AugmentationConfig: which random transforms training applies, and how strongly.

Plain data (no TensorFlow), validated on construction so the GUI can refuse a
bad value as the user types it. Every transform keeps its amount when switched
off (``off``), so toggling it back restores the setting.

Example:
    >>> light = PRESETS["light"]
    >>> light.rotation, light.zoom, light.shear, light.flip
    (10.0, 0.1, 0.5, 'horizontal')
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

from core.errors import ProjectFormatError
from core.recipe.augment_settings import GEOMETRIC, MIXING
from core.setting_fields import (
    not_a_setting,
    read_settings,
    setting,
    setting_fields,
    settings_problems,
)

# "alternating": horizontal, on every other epoch (airbench's derandomised flip).
FLIPS = ("none", "horizontal", "vertical", "both", "alternating")
FILL_MODES = ("constant", "nearest", "reflect", "wrap")
PLACEMENTS = ("auto", "pipeline", "model")
# The group box the Augmentation page's form shows them in.
TRANSFORMS_GROUP = "Transforms"


def _amount(
    label: str, help: str, high: float, below: bool = False, whole: bool = False
) -> Any:
    """A transform's amount: 0 (off) up to ``high`` (``below`` it: excluded).

    The spin box's shape follows the range: fractions step by 0.05 with two
    decimals; degrees and pixel levels step by 1 with one; ``whole`` numbers
    (pixels moved) step by 1 with none.
    """
    small = high <= 10
    return setting(
        0.0,
        label=label,
        help=help,
        group=TRANSFORMS_GROUP,
        style="switch",
        minimum=0,
        maximum=high,
        exclusive_maximum=below,
        step=0.05 if high <= 1 else 1,
        decimals=0 if whole else 2 if small else 1,
    )


@dataclass(frozen=True)
class AugmentationConfig:
    """Random transforms for training; all zero/"none" means no augmentation.

    Every field is declared once (``core.setting_fields``): the Augmentation
    page's form, this validation and the project file's parsing read it.
    """

    flip: str = setting(
        "none",
        label="Flip",
        help="alternating: each image mirrored left-right on every other epoch, "
        "so any two epochs show it both ways",
        choices=FLIPS,
        group=TRANSFORMS_GROUP,
    )
    rotation: float = _amount("Rotation (°)", "degrees either way", 180)
    zoom: float = _amount("Zoom", "fraction in or out, below 1", 1, below=True)
    shear: float = _amount(
        "Shear (°)", "degrees, as ImageDataGenerator's shear_range", 90, below=True
    )
    width_shift: float = _amount(
        "Width shift", "fraction of the width, below 1", 1, below=True
    )
    height_shift: float = _amount(
        "Height shift", "fraction of the height, below 1", 1, below=True
    )
    translate: float = _amount(
        "Translate (px)",
        "whole pixels either way, the border filled as the fill mode says "
        "(airbench: 2)",
        16,
        whole=True,
    )
    brightness: float = _amount("Brightness", "fraction of full brightness", 1)
    contrast: float = _amount("Contrast", "fraction, below 1", 1, below=True)
    crop: float = _amount(
        "Random crop",
        "largest fraction of the side cropped away, below 1",
        1,
        below=True,
    )
    noise: float = _amount(
        "Gaussian noise", "standard deviation in 0-255 pixel units", 128
    )
    mixup: float = _amount("MixUp alpha", "Beta(alpha, alpha) of MixUp; 0 is off", 10)
    cutmix: float = _amount(
        "CutMix alpha", "Beta(alpha, alpha) of CutMix; 0 is off", 10
    )
    fill_mode: str = setting(
        "reflect", label="Fill mode", choices=FILL_MODES, group=TRANSFORMS_GROUP
    )
    placement: str = setting(
        "auto",
        label="Placement",
        help="Where training applies augmentation; auto = the tf.data pipeline "
        "(measured faster here)",
        choices=PLACEMENTS,
        group=TRANSFORMS_GROUP,
    )
    off: tuple[str, ...] = not_a_setting(())

    def __post_init__(self) -> None:
        problems = settings_problems(self)
        if problems:
            name, reason = problems[0]
            value = getattr(self, name)
            if name in AMOUNTS:
                meaning = FIELDS[name].help
                raise ValueError(
                    f"{name}: {value:g} is out of range ({meaning}): {reason}"
                )
            raise ValueError(f"{name}: {reason}, not {value!r}")

    def amount(self, name: str) -> float:
        """The transform's amount, or 0 when it is switched off."""
        if name in self.off:
            return 0.0
        if name == "flip":
            return 0.0 if self.flip == "none" else 1.0
        return float(getattr(self, name))

    def active(self, name: str) -> bool:
        return self.amount(name) > 0

    @property
    def any_active(self) -> bool:
        return any(self.active(name) for name in TRANSFORMS)

    @property
    def geometric(self) -> bool:
        return any(self.active(n) for n in GEOMETRIC)

    @property
    def alternating(self) -> bool:
        """The alternating flip is on: the flip depends on the epoch."""
        return self.active("flip") and self.flip == "alternating"

    @property
    def needs_one_hot(self) -> bool:
        """MixUp and CutMix mix labels: training uses categorical cross-entropy."""
        return any(self.active(n) for n in MIXING)

    def switched(self, name: str, on: bool) -> AugmentationConfig:
        off = tuple(sorted((set(self.off) - {name}) | (set() if on else {name})))
        return replace(self, off=off)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["off"] = list(self.off)
        return d

    @classmethod
    def from_dict(cls, data: Any, where: str = "augmentation") -> AugmentationConfig:
        values = read_settings(cls, data, where)
        off = values.get("off", [])
        if not isinstance(off, list) or not all(v in TRANSFORMS for v in off):
            raise ProjectFormatError(
                f"{where}.off", f"must list transform names, not {off!r}"
            )
        values["off"] = tuple(off)
        try:
            return cls(**values)
        except ValueError as exc:
            name, reason = str(exc).split(": ", 1)
            raise ProjectFormatError(f"{where}.{name}", reason) from None


# The transforms with an amount, in the form's order.
FIELDS = {f.name: f for f in setting_fields(AugmentationConfig)}
AMOUNTS = tuple(name for name, f in FIELDS.items() if f.kind == "float")
TRANSFORMS = ("flip", *AMOUNTS)


PRESETS: dict[str, AugmentationConfig] = {
    "none": AugmentationConfig(),
    # The tutorials' ImageDataGenerator settings.
    "light": AugmentationConfig(
        flip="horizontal",
        rotation=10,
        zoom=0.1,
        shear=0.5,
        width_shift=0.1,
        height_shift=0.1,
    ),
    "strong": AugmentationConfig(
        flip="horizontal",
        rotation=25,
        zoom=0.2,
        shear=10,
        width_shift=0.15,
        height_shift=0.15,
        brightness=0.2,
        contrast=0.2,
        crop=0.15,
        noise=8,
    ),
}
