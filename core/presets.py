"""Bundled presets: the tutorials' recipes and the app's strong recipes.

Each preset is a JSON file in ``resources/presets`` read by the same strict
parsers as project files. A version 2 preset (``"version": 2``) carries the
whole recipe: its model, its dataset (a DatasetSpec: name, split fractions,
seed, image size), its augmentation and its training settings, so choosing
it in the app and ``python -m core train --preset NAME`` train the same
thing. A version 1 file (no ``version``) names only its dataset and gets the
app's default settings; such files still load.

A preset with a backbone also ships its ``totals`` (parameters, trainable
ones): counting a backbone needs its layer table, which Keras builds, and
listing presets must never import TensorFlow. A test holds them equal to Keras.

Example:
    >>> sorted(preset_names())[:2]
    ['cats-vs-dogs-small', 'cifar10-simple-cnn']
    >>> all_presets()["mnist-convnet"].project().training.optimizer
    'rmsprop'
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from core.augmentation.config import AugmentationConfig
from core.data.builtin import BUILTIN_NAMES
from core.data.spec import DatasetSpec
from core.errors import ProjectFormatError, WorkbenchError
from core.paths import resources_dir
from core.project import Project
from core.spec import ModelSpec
from core.training.config import TrainingConfig

FORMAT = "cnn-workbench-preset"
VERSION = 2  # 2: dataset, augmentation and training in the file; 1: the model only


@dataclass(frozen=True)
class Totals:
    """Parameter counts as Keras reports them for the preset's model."""

    total: int
    trainable: int


@dataclass(frozen=True)
class Preset:
    """A named recipe with a human title and a one-line description.

    ``dataset`` is the data's name (``"folder"`` for the user's own images);
    ``data``, ``augmentation`` and ``training`` are None in a version 1 file,
    which leaves them to the app's defaults.
    """

    name: str
    title: str
    description: str
    dataset: str
    spec: ModelSpec
    totals: Totals | None = None
    data: DatasetSpec | None = None
    augmentation: AugmentationConfig | None = None
    training: TrainingConfig | None = None
    version: int = 1

    def total(self) -> int:
        """Parameter count: shipped for backbones, else counted in pure Python."""
        if self.totals is not None:
            return self.totals.total
        from core.summary import summarize

        return summarize(self.spec).total

    def project(self) -> Project:
        """The whole recipe as a ``core.project.Project``, as the app trains it.

        A version 1 preset gets its built-in dataset with the default split
        (none for a folder preset) and default augmentation and training.
        """
        data = self.data
        if data is None and self.dataset in BUILTIN_NAMES:
            data = DatasetSpec(name=self.dataset)
        return Project(
            name=self.name,
            model=self.spec,
            dataset=data,
            augmentation=self.augmentation or AugmentationConfig(),
            training=self.training or TrainingConfig(),
        )


def presets_dir() -> Path:
    return resources_dir() / "presets"


@cache
def all_presets() -> dict[str, Preset]:
    """Every bundled preset by name, parsed once."""
    out: dict[str, Preset] = {}
    for path in sorted(presets_dir().glob("*.json")):
        try:
            found = parse_preset(json.loads(path.read_text(encoding="utf-8")))
        except (ProjectFormatError, ValueError) as exc:
            raise WorkbenchError(
                f"bundled preset {path.name} is broken: {exc}"
            ) from exc
        out[found.name] = found
    return out


def parse_preset(data: object) -> Preset:
    """A preset file's JSON, either version; ProjectFormatError names a bad field."""
    if not isinstance(data, Mapping) or data.get("format") != FORMAT:
        raise ProjectFormatError("format", f"not a preset (format must be {FORMAT})")
    version = data.get("version", 1)
    if version not in (1, VERSION) or isinstance(version, bool):
        raise ProjectFormatError(
            "version", f"unknown preset version {version!r} (this app reads 1-2)"
        )
    for key in ("name", "title", "description"):
        if not isinstance(data.get(key), str):
            raise ProjectFormatError(key, "missing or not a string")
    spec = ModelSpec.from_dict(data.get("model"))
    totals = _totals(data.get("totals"))
    if version == 1:
        if not isinstance(data.get("dataset"), str):
            raise ProjectFormatError("dataset", "a version 1 preset names its dataset")
        return Preset(
            data["name"],
            data["title"],
            data["description"],
            data["dataset"],
            spec,
            totals,
        )
    dataset = DatasetSpec.from_dict(data.get("dataset"))
    return Preset(
        data["name"],
        data["title"],
        data["description"],
        dataset.name,
        spec,
        totals,
        dataset,
        AugmentationConfig.from_dict(data.get("augmentation", {})),
        TrainingConfig.from_dict(data.get("training", {})),
        VERSION,
    )


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
    return named_preset(name).spec


def named_preset(name: str) -> Preset:
    """The preset called ``name``; raises WorkbenchError listing names if unknown."""
    try:
        return all_presets()[name]
    except KeyError:
        raise WorkbenchError(
            f"unknown preset {name!r}; available: {', '.join(all_presets())}"
        ) from None


def starter_project() -> Project:
    """What a newcomer gets on first start: offline data and a model that learns it."""
    # 20 epochs: the default 10 stop at 75% test accuracy on shapes; 20 reached
    # 90% in about a minute and a half on a 2-core CPU (2026-11-29).
    return Project(
        name="Untitled",
        model=preset("shapes-starter"),
        dataset=DatasetSpec(name="shapes"),
        training=TrainingConfig(epochs=20),
    )
