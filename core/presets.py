"""Bundled model presets reproducing the tutorials users learn from.

Each preset is a JSON file in ``resources/presets`` holding a full ModelSpec, so
presets are read by the same strict parser as project files, and a preset's
class count (hence its head and totals) is fixed by the dataset it names.

A preset with a backbone also ships its ``totals`` (parameters, trainable
ones): counting a backbone needs its layer table, which Keras builds, and
listing presets must never import TensorFlow. A test holds them equal to Keras.

Example:
    >>> sorted(preset_names())[:2]
    ['cats-vs-dogs-small', 'cifar10-simple-cnn']
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from core.errors import ProjectFormatError, WorkbenchError
from core.paths import resources_dir
from core.spec import ModelSpec


@dataclass(frozen=True)
class Totals:
    """Parameter counts as Keras reports them for the preset's model."""

    total: int
    trainable: int


@dataclass(frozen=True)
class Preset:
    """A named starting model with a human title and the dataset it is meant for."""

    name: str
    title: str
    description: str
    dataset: str
    spec: ModelSpec
    totals: Totals | None = None

    def total(self) -> int:
        """Parameter count: shipped for backbones, else counted in pure Python."""
        if self.totals is not None:
            return self.totals.total
        from core.summary import summarize

        return summarize(self.spec).total


def presets_dir() -> Path:
    return resources_dir() / "presets"


@cache
def all_presets() -> dict[str, Preset]:
    """Every bundled preset by name, parsed once."""
    out: dict[str, Preset] = {}
    for path in sorted(presets_dir().glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        try:
            spec = ModelSpec.from_dict(data.get("model"))
            totals = _totals(data.get("totals"))
        except ProjectFormatError as exc:
            raise WorkbenchError(
                f"bundled preset {path.name} is broken: {exc}"
            ) from exc
        out[data["name"]] = Preset(
            data["name"],
            data["title"],
            data["description"],
            data["dataset"],
            spec,
            totals,
        )
    return out


def _totals(raw: object) -> Totals | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or not all(
        isinstance(raw.get(k), int) and raw[k] >= 0 for k in ("total", "trainable")
    ):
        raise ProjectFormatError("totals", "needs whole numbers total and trainable")
    return Totals(raw["total"], raw["trainable"])


def preset_names() -> list[str]:
    return list(all_presets())


def preset(name: str) -> ModelSpec:
    """The ModelSpec of a preset; raises WorkbenchError listing names if unknown."""
    try:
        return all_presets()[name].spec
    except KeyError:
        raise WorkbenchError(
            f"unknown preset {name!r}; available: {', '.join(all_presets())}"
        ) from None
