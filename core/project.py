"""The project file: one JSON document holding everything a user set up.

Versioned (``schema_version``) so later releases can migrate old files, saved
atomically (write a temporary file beside the target, flush, then rename) so a
crash mid-save never leaves a half-written project, and parsed strictly: a
damaged or foreign file is refused with the dotted path of the bad field and
nothing is half-loaded.

Example:
    >>> from core.presets import preset
    >>> p = Project(name="demo", model=preset("mnist-convnet"))
    >>> Project.from_dict(p.to_dict()) == p
    True
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.atomic_file import write_atomic
from core.augmentation.config import AugmentationConfig
from core.data.spec import DatasetSpec
from core.errors import ProjectFormatError, WorkbenchError
from core.setting_fields import settings_problems
from core.spec import ModelSpec
from core.training.config import TrainingConfig

FORMAT = "cnn-workbench-project"
SCHEMA_VERSION = 1
SUFFIX = ".cnnwb.json"


@dataclass(frozen=True)
class Project:
    """A model plus the settings later stages add (dataset, training, ...)."""

    name: str = "Untitled"
    model: ModelSpec = field(default_factory=ModelSpec)
    dataset: DatasetSpec | None = None
    augmentation: AugmentationConfig = field(default_factory=AugmentationConfig)
    training: TrainingConfig = field(default_factory=TrainingConfig)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "schema_version": SCHEMA_VERSION,
            "name": self.name,
            "model": self.model.to_dict(),
            "dataset": self.dataset.to_dict() if self.dataset else None,
            "augmentation": self.augmentation.to_dict(),
            "training": self.training.to_dict(),
        }

    def flagged(self) -> list[str]:
        """One line per setting an older version recorded outside today's bounds.

        Such a value loads (``read_settings``) and is kept until the user
        changes it; a new edit is refused. Every setting reads its bounds from
        its declaration (``core.setting_fields``).
        """
        return [
            f"{section}.{name} {getattr(config, name)!r} is kept as recorded; "
            f"a new value {reason}"
            for section, config in (
                ("training", self.training),
                ("augmentation", self.augmentation),
            )
            for name, reason in settings_problems(config)
        ]

    @classmethod
    def from_dict(cls, data: Any) -> Project:
        """Parse a whole project, or raise ProjectFormatError naming the field."""
        if not isinstance(data, Mapping):
            raise ProjectFormatError("", "not a CNN Workbench project (no JSON object)")
        if data.get("format") != FORMAT:
            raise ProjectFormatError(
                "format",
                f"not a CNN Workbench project (format is {data.get('format')!r})",
            )
        version = data.get("schema_version")
        if not isinstance(version, int) or isinstance(version, bool):
            raise ProjectFormatError("schema_version", "missing or not a number")
        if version > SCHEMA_VERSION:
            raise ProjectFormatError(
                "schema_version",
                f"version {version} was written by a newer CNN Workbench "
                f"(this one reads up to {SCHEMA_VERSION}); please update the app",
            )
        if version < 1:
            raise ProjectFormatError("schema_version", f"unknown version {version}")
        name = data.get("name", "Untitled")
        if not isinstance(name, str):
            raise ProjectFormatError("name", "must be a string")
        raw_dataset = data.get("dataset")
        dataset = None if raw_dataset is None else DatasetSpec.from_dict(raw_dataset)
        raw_augmentation = data.get("augmentation")
        augmentation = (
            AugmentationConfig()
            if raw_augmentation is None
            else AugmentationConfig.from_dict(raw_augmentation)
        )
        return cls(
            name=name,
            model=ModelSpec.from_dict(data.get("model")),
            dataset=dataset,
            augmentation=augmentation,
            training=TrainingConfig.from_dict(data.get("training", {})),
        )


def save_project(project: Project, path: str | os.PathLike[str]) -> Path:
    """Write ``project`` to ``path`` atomically and return the path."""
    target = Path(path)
    text = json.dumps(project.to_dict(), indent=2, ensure_ascii=False) + "\n"
    write_atomic(target, text)
    return target


def load_project(path: str | os.PathLike[str]) -> Project:
    """Read a project file.

    Raises:
        WorkbenchError: the file cannot be read or is not JSON.
        ProjectFormatError: the JSON is not a valid project (names the field).
    """
    source = Path(path)
    if source.is_dir():
        raise WorkbenchError(f"{source} is a folder, not a project file")
    try:
        text = source.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise WorkbenchError(f"{source}: no such file") from None
    except UnicodeDecodeError:
        raise ProjectFormatError(
            "", f"{source.name} is not a CNN Workbench project (not UTF-8 text)"
        ) from None
    except OSError as exc:
        raise WorkbenchError(f"{source}: cannot be read ({exc.strerror})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise WorkbenchError(
            f"{source}: damaged project file (not valid JSON at line {exc.lineno}, "
            f"column {exc.colno})"
        ) from None
    except (ValueError, RecursionError) as exc:
        # Valid JSON Python will not hold: a number of thousands of digits,
        # or lists nested deeper than the parser recurses.
        raise WorkbenchError(
            f"{source}: not a CNN Workbench project ({str(exc)[:120]})"
        ) from None
    return Project.from_dict(data)
