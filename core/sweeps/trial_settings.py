"""A trial's settings: the project's, with the values the search picked put in.

Keys are ``core.sweeps.space``'s (``training.learning_rate``,
``augmentation.rotation``, ``layers.conv2d_1.filters``). Each value goes
through its declaration's own check (``TrainingConfig.problems``,
``AugmentationConfig``'s, ``LayerSpec.with_options``), so a combination no
form would accept fails the trial with the declaration's words.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from core.augmentation.config import AugmentationConfig
from core.errors import WorkbenchError
from core.project import Project
from core.spec import ModelSpec
from core.sweeps.space import AUGMENTATION, LAYERS, TRAINING
from core.training.config import TrainingConfig


@dataclass(frozen=True)
class TrialSettings:
    """What one trial trains with."""

    model: ModelSpec
    training: TrainingConfig
    augmentation: AugmentationConfig


def trial_settings(project: Project, values: Mapping[str, Any]) -> TrialSettings:
    """``project``'s model and settings with ``values`` (by key) put in.

    Varying a transform's amount switches the transform on, if the project
    had switched it off: the sweep asked for its amounts to be tried.

    Raises:
        WorkbenchError: a key of no section, or a value (or a combination of
            values) the settings' declarations refuse; the message says which.
    """
    sections: dict[str, dict[str, Any]] = {TRAINING: {}, AUGMENTATION: {}}
    layers: dict[str, dict[str, Any]] = {}
    for key, value in values.items():
        section, _, rest = key.partition(".")
        if section == LAYERS:
            layer, _, option = rest.rpartition(".")  # a layer's name may hold dots
            layers.setdefault(layer, {})[option] = value
        elif section in sections and rest:
            sections[section][rest] = value
        else:
            raise WorkbenchError(f"{key}: not a setting a sweep can vary")
    training = _with(project.training, sections[TRAINING], TRAINING)
    problems = training.problems()
    if problems:
        name, reason = problems[0]
        raise WorkbenchError(f"{TRAINING}.{name}: {reason}")
    augmentation = project.augmentation
    for name in sections[AUGMENTATION]:
        augmentation = augmentation.switched(name, True)
    augmentation = _with(augmentation, sections[AUGMENTATION], AUGMENTATION)
    return TrialSettings(_model_with(project.model, layers), training, augmentation)


def _with(config: Any, changes: dict[str, Any], section: str) -> Any:
    """``config`` with ``changes``, each number as its field's type."""
    types = {f.name: f.type for f in fields(config)}
    typed = {}
    for name, value in changes.items():
        if name not in types:
            raise WorkbenchError(f"{section}.{name}: not a setting a sweep can vary")
        numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
        typed[name] = float(value) if numeric and types[name] == "float" else value
    try:
        return replace(config, **typed)
    except ValueError as exc:  # AugmentationConfig checks its own values
        raise WorkbenchError(f"{section}.{exc}") from None


def _model_with(model: ModelSpec, changes: dict[str, dict[str, Any]]) -> ModelSpec:
    by_name = {layer.name: layer for layer in model.layers}
    for name in changes:
        if name not in by_name:
            raise WorkbenchError(f"{LAYERS}.{name}: the model has no such layer")
    layers = []
    for layer in model.layers:
        if layer.name in changes:
            try:
                layer = layer.with_options(**changes[layer.name])
            except ValueError as exc:
                raise WorkbenchError(f"{LAYERS}.{layer.name}: {exc}") from None
        layers.append(layer)
    return replace(model, layers=tuple(layers))
