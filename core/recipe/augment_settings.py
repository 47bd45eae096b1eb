"""Augmentation settings as plain values: what ``augment`` applies.

Kept apart from the TensorFlow ops so that writing a script (which states them
as data) needs no TensorFlow.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

GEOMETRIC = (
    "flip",
    "rotation",
    "zoom",
    "shear",
    "width_shift",
    "height_shift",
    "translate",
    "crop",
)
PHOTOMETRIC = ("brightness", "contrast", "noise")
MIXING = ("mixup", "cutmix")


@dataclass(frozen=True)
class Augmentation:
    """Each transform's amount (absent or 0: off), the flip's direction and how
    the resample fills the border.

    Example:
        >>> aug = Augmentation({"rotation": 10.0}, flip="horizontal")
        >>> aug.geometric, aug.needs_one_hot
        (True, False)
    """

    amounts: Mapping[str, float] = field(default_factory=dict)
    # none, horizontal, vertical, both or alternating (horizontal, every other
    # epoch: ``augment.augment_dataset`` numbers the epochs)
    flip: str = "none"
    fill_mode: str = "reflect"  # constant, nearest, reflect or wrap

    def amount(self, name: str) -> float:
        if name == "flip":
            return 0.0 if self.flip == "none" else 1.0
        return float(self.amounts.get(name, 0.0))

    def active(self, name: str) -> bool:
        return self.amount(name) > 0

    @property
    def geometric(self) -> bool:
        return any(self.active(n) for n in GEOMETRIC)

    @property
    def any_active(self) -> bool:
        return any(self.active(n) for n in (*GEOMETRIC, *PHOTOMETRIC, *MIXING))

    @property
    def alternating(self) -> bool:
        """The flip depends on the epoch, which only the tf.data pipeline knows."""
        return self.flip == "alternating"

    @property
    def needs_one_hot(self) -> bool:
        """MixUp and CutMix mix labels: training uses categorical cross-entropy."""
        return any(self.active(n) for n in MIXING)
