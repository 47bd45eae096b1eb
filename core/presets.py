"""Bundled model presets reproducing the tutorials users learn from.

Each preset is a JSON file in ``resources/presets`` holding a full ModelSpec, so
presets are read by the same strict parser as project files, and a preset's
class count (hence its head and totals) is fixed by the dataset it names.

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
class Preset:
    """A named starting model with a human title and the dataset it is meant for."""

    name: str
    title: str
    description: str
    dataset: str
    spec: ModelSpec


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
        except ProjectFormatError as exc:
            raise WorkbenchError(
                f"bundled preset {path.name} is broken: {exc}"
            ) from exc
        out[data["name"]] = Preset(
            data["name"], data["title"], data["description"], data["dataset"], spec
        )
    return out


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
