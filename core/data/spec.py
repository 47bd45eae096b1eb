"""DatasetSpec: how the project file records its dataset.

Only the recipe is stored (which dataset, image size, channels, split, seed),
never the data, so a project stays small and the split is reproducible.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.data.builtin import BUILTIN_NAMES
from core.data.exclusions import Exclusions
from core.errors import DatasetError, ProjectFormatError
from core.setting_fields import METADATA_KEY, Limits, setting

KINDS = ("builtin", "folder")


class InvalidDatasetSpec(DatasetError, ValueError):
    """A setting out of its range: a ValueError to code, one line to a user."""


@dataclass(frozen=True)
class DatasetSpec:
    """Which data to train on and how to split it.

    ``path`` is the folder for ``kind="folder"``; for a built-in it optionally
    points at local files to use instead of downloading. ``image_size`` and
    ``channels`` of None mean "as the images are" (folders of mixed sizes need
    an explicit size). ``count`` is the number of generated ``shapes`` images.
    """

    kind: str = "builtin"
    name: str = "shapes"
    path: str | None = None
    image_size: tuple[int, int] | None = None
    channels: int | None = None
    validation_fraction: float = setting(
        0.1,
        label="validation",
        help="Share of the training images held out for validation",
        minimum=0,
        maximum=1,
        exclusive_maximum=True,
    )
    test_fraction: float = setting(
        0.1,
        label="test",
        help="Share held out for testing (when there is no test/ folder)",
        minimum=0,
        maximum=1,
        exclusive_maximum=True,
    )
    # The split seed: numpy takes any whole number from 0, the Data page's
    # spin box (a Qt int) up to 2**31 - 1; beyond the box no one can type it.
    seed: int = setting(
        0,
        label="Seed",
        help="The same seed always gives the same split",
        minimum=0,
        maximum=2**31 - 1,
    )
    # Shapes are drawn in memory, about 165 kB an image at the peak (float32
    # layers): 100,000 take some 16 GB, and a trillion was a MemoryError.
    count: int = setting(
        8000,
        label="Images",
        help="How many shapes images to generate",
        minimum=10,
        maximum=100_000,
    )
    # Images left out or labelled otherwise, by path and content digest; in
    # the file only when there are any, so older files read and write as
    # they were (core.data.exclusions).
    exclusions: Exclusions = dataclasses.field(default_factory=Exclusions)

    def __post_init__(self) -> None:
        problem = _problem(self.to_dict())
        if problem:
            raise InvalidDatasetSpec(f"{problem[0]}: {problem[1]}")

    @property
    def title(self) -> str:
        return self.name if self.kind == "builtin" else Path(self.path or "").name

    def path_missing(self) -> bool:
        """True when a folder (or local file) the spec names has gone: ask the user."""
        return bool(self.path) and not Path(self.path).exists()

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "path": self.path,
            "image_size": list(self.image_size) if self.image_size else None,
            "channels": self.channels,
            "validation_fraction": self.validation_fraction,
            "test_fraction": self.test_fraction,
            "seed": self.seed,
            "count": self.count,
        } | ({"exclusions": self.exclusions.to_list()} if self.exclusions else {})

    @classmethod
    def from_dict(cls, data: Any, where: str = "dataset") -> DatasetSpec:
        if not isinstance(data, Mapping):
            raise ProjectFormatError(where, "missing or not an object")
        data = dict(data)
        exclusions = Exclusions.from_list(
            data.pop("exclusions", []), f"{where}.exclusions"
        )
        unknown = sorted(set(data) - set(cls().to_dict()))
        if unknown:
            raise ProjectFormatError(f"{where}.{unknown[0]}", "unknown setting")
        types: dict[str, tuple[type, ...]] = {
            "kind": (str,),
            "name": (str,),
            "path": (str, type(None)),
            "image_size": (list, type(None)),
            "channels": (int, type(None)),
            "validation_fraction": (int, float),
            "test_fraction": (int, float),
            "seed": (int,),
            "count": (int,),
        }
        values = cls().to_dict() | dict(data)
        for key, allowed in types.items():
            value = values[key]
            if isinstance(value, bool) or not isinstance(value, allowed):
                raise ProjectFormatError(f"{where}.{key}", f"wrong type: {value!r}")
        size = values["image_size"]
        if size is not None and not all(
            isinstance(v, int) and not isinstance(v, bool) for v in size
        ):
            raise ProjectFormatError(
                f"{where}.image_size", f"must be two whole numbers, not {size!r}"
            )
        values["image_size"] = tuple(size) if size is not None else None
        problem = _problem(values)
        if problem:
            raise ProjectFormatError(f"{where}.{problem[0]}", problem[1])
        return cls(**values, exclusions=exclusions)


def _problem(v: Mapping[str, Any]) -> tuple[str, str] | None:
    """``(field, reason)`` for the first invalid setting, or None."""
    if v["kind"] not in KINDS:
        return "kind", f"must be 'builtin' or 'folder', not {v['kind']!r}"
    if v["kind"] == "builtin" and v["name"] not in BUILTIN_NAMES:
        known = ", ".join(BUILTIN_NAMES)
        return "name", f"unknown built-in dataset {v['name']!r}; known: {known}"
    if v["kind"] == "folder" and not v["path"]:
        return "path", "a folder dataset needs its folder"
    size = v["image_size"]
    if size is not None and (len(size) != 2 or min(size) < 1):
        return "image_size", f"must be [height, width] of at least 1, not {size}"
    if v["channels"] not in (None, 1, 3):
        return "channels", f"must be 1 (grayscale) or 3 (RGB), not {v['channels']}"
    for name in ("validation_fraction", "test_fraction"):
        if not SPLIT[name].admit(v[name]):
            return name, f"must be {SPLIT[name].words()}, not {v[name]}"
    if v["validation_fraction"] + v["test_fraction"] >= SPLIT_TOTAL_BELOW:
        return "test_fraction", "validation and test together must leave training data"
    for name in ("seed", "count"):
        low, high = BOUNDS[name]
        if not low <= v[name] <= high:
            return name, f"must be from {low:,} to {high:,}, not {v[name]:,}"
    return None


# The declared range of each bounded setting (its ``setting(...)`` metadata).
BOUNDS: dict[str, tuple[int, int]] = {
    f.name: (f.metadata[METADATA_KEY]["minimum"], f.metadata[METADATA_KEY]["maximum"])
    for f in dataclasses.fields(DatasetSpec)
    if "minimum" in f.metadata.get(METADATA_KEY, {})
}
# Validation and test together stay below this share, so training keeps data.
SPLIT_TOTAL_BELOW = 0.9
# The split fractions' declared ranges (0 up to, not including, 1).
SPLIT: dict[str, Limits] = {
    f.name: Limits(
        f.metadata[METADATA_KEY]["minimum"],
        f.metadata[METADATA_KEY]["maximum"],
        high_open=f.metadata[METADATA_KEY]["exclusive_maximum"],
    )
    for f in dataclasses.fields(DatasetSpec)
    if f.name.endswith("_fraction")
}
