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

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from core.errors import ProjectFormatError

FLIPS = ("none", "horizontal", "vertical", "both")
FILL_MODES = ("constant", "nearest", "reflect", "wrap")
PLACEMENTS = ("auto", "pipeline", "model")
# (name, lowest, highest, highest excluded, meaning)
RANGES: tuple[tuple[str, float, float, bool, str], ...] = (
    ("rotation", 0, 180, False, "degrees either way"),
    ("zoom", 0, 1, True, "fraction in or out, below 1"),
    ("shear", 0, 90, True, "degrees, as ImageDataGenerator's shear_range"),
    ("width_shift", 0, 1, True, "fraction of the width, below 1"),
    ("height_shift", 0, 1, True, "fraction of the height, below 1"),
    ("brightness", 0, 1, False, "fraction of full brightness"),
    ("contrast", 0, 1, True, "fraction, below 1"),
    ("crop", 0, 1, True, "largest fraction of the side cropped away, below 1"),
    ("noise", 0, 128, False, "standard deviation in 0-255 pixel units"),
    ("mixup", 0, 10, False, "Beta(alpha, alpha) of MixUp; 0 is off"),
    ("cutmix", 0, 10, False, "Beta(alpha, alpha) of CutMix; 0 is off"),
)
TRANSFORMS = ("flip", *(r[0] for r in RANGES))


@dataclass(frozen=True)
class AugmentationConfig:
    """Random transforms for training; all zero/"none" means no augmentation."""

    flip: str = "none"
    rotation: float = 0.0
    zoom: float = 0.0
    shear: float = 0.0
    width_shift: float = 0.0
    height_shift: float = 0.0
    brightness: float = 0.0
    contrast: float = 0.0
    crop: float = 0.0
    noise: float = 0.0
    mixup: float = 0.0
    cutmix: float = 0.0
    fill_mode: str = "reflect"
    placement: str = "auto"
    off: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        problem = _problem(self)
        if problem:
            raise ValueError(f"{problem[0]}: {problem[1]}")

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
        return any(
            self.active(n)
            for n in (
                "flip",
                "rotation",
                "zoom",
                "shear",
                "width_shift",
                "height_shift",
                "crop",
            )
        )

    @property
    def needs_one_hot(self) -> bool:
        """MixUp and CutMix mix labels: training uses categorical cross-entropy."""
        return self.active("mixup") or self.active("cutmix")

    def switched(self, name: str, on: bool) -> AugmentationConfig:
        off = tuple(sorted((set(self.off) - {name}) | (set() if on else {name})))
        return replace(self, off=off)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["off"] = list(self.off)
        return d

    @classmethod
    def from_dict(cls, data: Any, where: str = "augmentation") -> AugmentationConfig:
        if not isinstance(data, Mapping):
            raise ProjectFormatError(where, "missing or not an object")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ProjectFormatError(f"{where}.{unknown[0]}", "unknown setting")
        values = dict(data)
        for name in known - {"flip", "fill_mode", "placement", "off"}:
            value = values.get(name, 0.0)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ProjectFormatError(
                    f"{where}.{name}", f"must be a number, not {value!r}"
                )
            values[name] = float(value)
        off = values.get("off", [])
        if not isinstance(off, list) or not all(v in TRANSFORMS for v in off):
            raise ProjectFormatError(
                f"{where}.off", f"must list transform names, not {off!r}"
            )
        values["off"] = tuple(off)
        try:
            return cls(**values)
        except ValueError as exc:
            name = str(exc).split(":", 1)[0]
            raise ProjectFormatError(
                f"{where}.{name}", str(exc).split(": ", 1)[1]
            ) from None


def _problem(c: AugmentationConfig) -> tuple[str, str] | None:
    if c.flip not in FLIPS:
        return "flip", f"must be one of {', '.join(FLIPS)}, not {c.flip!r}"
    if c.fill_mode not in FILL_MODES:
        return (
            "fill_mode",
            f"must be one of {', '.join(FILL_MODES)}, not {c.fill_mode!r}",
        )
    if c.placement not in PLACEMENTS:
        return (
            "placement",
            f"must be one of {', '.join(PLACEMENTS)}, not {c.placement!r}",
        )
    for name, low, high, excluded, meaning in RANGES:
        value = getattr(c, name)
        too_high = value >= high if excluded else value > high
        if not math.isfinite(value) or value < low or too_high:
            bound = f"below {high:g}" if excluded else f"at most {high:g}"
            return name, f"{value:g} is out of range: {meaning}; use {low:g} to {bound}"
    return None


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
