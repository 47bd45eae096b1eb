"""What a sweep may vary, read from the declarations the forms already use.

Three sections, each addressed by a dotted key:

- ``training.NAME``: a ``TrainingConfig`` setting (``core.training.config``);
- ``augmentation.NAME``: an ``AugmentationConfig`` setting;
- ``layers.LAYER.OPTION``: an option of the layer named ``LAYER`` in the
  project's model (``core.layers``), e.g. ``layers.conv2d_1.filters``.

A number's bounds and a choice's choices are the declaration's, so a sweep
can never ask for a value the Training page, the project file or a run would
refuse. Settings that say how a run computes or what it writes rather than
what it learns, and the objective's own settings, are not offered
(``NOT_SWEPT`` says why for each).

Example:
    >>> from core.spec import ModelSpec
    >>> keys = [s.key for s in sweepable_settings(ModelSpec())]
    >>> "training.learning_rate" in keys, "training.checkpoint_monitor" in keys
    (True, False)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.augmentation.config import AugmentationConfig
from core.backbones import BACKBONE_CLASS
from core.layers import Field, layer_kind
from core.setting_fields import setting_fields
from core.spec import ModelSpec
from core.training.config import TrainingConfig

TRAINING = "training"
AUGMENTATION = "augmentation"
LAYERS = "layers"
KINDS = ("int", "float", "choice", "bool")
# Settings a sweep may not vary, and why (the spec's error line says it).
_OBJECTIVE = "the sweep's objective is the checkpoint monitor: every trial keeps it"
_MACHINERY = "it changes how a run computes or what it writes, not what it learns"
NOT_SWEPT: dict[str, str] = {
    "training.checkpoint": _OBJECTIVE,
    "training.checkpoint_monitor": _OBJECTIVE,
    "training.cache_data": _MACHINERY,
    "training.backup_and_restore": _MACHINERY,
    "training.csv_logger": _MACHINERY,
    "training.tensorboard": _MACHINERY,
    "training.precision": _MACHINERY,
    "training.jit_compile": _MACHINERY,
    "training.tta": "test-time augmentation acts on the test split, which trials "
    "never see",
    "augmentation.placement": _MACHINERY,
}
# Settings whose good values span decades: the GUI offers a log scale for them.
LOG_SCALE = (
    "training.learning_rate",
    "training.weight_decay",
    "training.sgd_weight_decay",
)


@dataclass(frozen=True)
class Sweepable:
    """One setting a sweep may vary, as the GUI's list shows it.

    ``default`` is the project's current value, what trials use when the
    sweep does not vary it. ``used_when`` is the declaration's enable rule
    with its controlling setting as a full key (``("training.optimizer",
    "sgd")``). ``log`` suggests a log scale.
    """

    key: str
    section: str
    label: str
    kind: str
    default: Any
    help: str = ""
    minimum: float | None = None
    maximum: float | None = None
    exclusive_maximum: bool = False
    choices: tuple[str, ...] = ()
    used_when: tuple[str, Any] | None = None
    log: bool = False

    @property
    def name(self) -> str:
        """The setting's own name: the key's last part (``learning_rate``)."""
        return self.key.rsplit(".", 1)[-1]

    def problem(self, value: Any) -> str | None:
        """Why a trial may not take ``value``; None if it may.

        The declaration's own rule (``Field.coerce``'s bounds and choices),
        worded as the spec's error lines are.
        """
        if self.kind == "bool":
            return None if isinstance(value, bool) else "must be true or false"
        if self.kind == "choice":
            if value in self.choices:
                return None
            return f"must be one of {', '.join(self.choices)}"
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return "must be a number"
        if self.kind == "int" and not float(value).is_integer():
            return "must be a whole number"
        low, high = self.minimum, self.maximum
        too_high = high is not None and (
            value >= high if self.exclusive_maximum else value > high
        )
        if (low is not None and value < low) or too_high:
            return f"must be {_range_words(low, high, self.exclusive_maximum)}"
        return None


def sweepable_settings(
    model: ModelSpec,
    training: TrainingConfig | None = None,
    augmentation: AugmentationConfig | None = None,
) -> list[Sweepable]:
    """Every setting a sweep of this project may vary, in the forms' order.

    Training settings first, then augmentation, then each layer's options in
    stack order. A backbone's options are left out (they change which
    weights and layer names the model has, not a number it learns with).
    """
    training = training or TrainingConfig()
    augmentation = augmentation or AugmentationConfig()
    out = [
        *_of_config(TRAINING, training, "Training"),
        *_of_config(AUGMENTATION, augmentation, "Augmentation"),
    ]
    for layer in model.layers:
        if layer.class_name == BACKBONE_CLASS:
            continue
        for option in layer_kind(layer.class_name).fields:
            if option.kind in KINDS:
                out.append(_of_layer_option(layer.name, option, layer.config))
    return out


def sweepable_by_key(
    model: ModelSpec,
    training: TrainingConfig | None = None,
    augmentation: AugmentationConfig | None = None,
) -> dict[str, Sweepable]:
    """``sweepable_settings`` by key, for looking a spec's keys up."""
    return {s.key: s for s in sweepable_settings(model, training, augmentation)}


def _of_config(section: str, config: Any, group: str) -> list[Sweepable]:
    return [
        _of_field(section, section, f, f"{group}: {f.label}", getattr(config, f.name))
        for f in setting_fields(type(config))
        if f.kind in KINDS and f"{section}.{f.name}" not in NOT_SWEPT
    ]


def _of_layer_option(layer: str, option: Field, config: Mapping[str, Any]) -> Sweepable:
    default = config.get(option.name, option.default)
    label = f"{layer}: {option.label}"
    return _of_field(LAYERS, f"{LAYERS}.{layer}", option, label, default)


def _of_field(
    section: str, prefix: str, field: Field, label: str, default: Any
) -> Sweepable:
    """``field`` as a sweep offers it: bounds, choices and rule copied as declared.

    Settings and layer options both come through here, so neither can offer
    a range its declaration (the forms' source) would refuse.
    """
    key = f"{prefix}.{field.name}"
    return Sweepable(
        key=key,
        section=section,
        label=label,
        kind=field.kind,
        default=default,
        help=field.help,
        minimum=field.minimum,
        maximum=field.maximum,
        exclusive_maximum=field.exclusive_maximum,
        choices=field.choices,
        used_when=_full_rule(prefix, field.used_when),
        log=key in LOG_SCALE,
    )


def _full_rule(prefix: str, rule: tuple[str, Any] | None) -> tuple[str, Any] | None:
    return None if rule is None else (f"{prefix}.{rule[0]}", rule[1])


def _range_words(low: float | None, high: float | None, below: bool) -> str:
    top = "below" if below else "at most"
    if low is not None and high is not None:
        return f"from {low:g} to {top} {high:g}"
    if low is not None:
        return f"at least {low:g}"
    return f"{top} {high:g}"
