"""Settings declared once: label, help, group, bounds, choices, enable rule.

A settings dataclass declares each field with ``setting(default, ...)``, a
``dataclasses.field`` whose metadata says how the field is labelled, limited
and laid out. ``setting_fields(cls)`` reads that back as one ``SettingField``
per field, in declaration order. Everything else reads these declarations:
the desktop's generated forms (their ranges, choices and enable rules), the
validation of a config (``settings_problems``), the parsing of a project file
or a run's record (``read_settings``) and the command line's argument types
(``core.commands.arguments``), so none of them can drift from another.

Two ranges per number: its bounds (``minimum``/``maximum``), which a new edit
must keep and the form offers exactly; and ``loads``, the wider range an older
version accepted. A recorded value between the two still loads, and
``settings_problems`` flags it, so an old project or run is never refused for
it; only one outside ``loads`` (or a non-finite number) is refused as damaged.

A field may also need something of the machine or an optional package
(``needs``, a key of ``REQUIREMENTS``); the form then turns the switch off with
the reason why.

Example:
    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True)
    ... class Config:
    ...     epochs: int = setting(10, label="Epochs", minimum=1, maximum=100)
    >>> [(f.name, f.kind, f.label, f.maximum) for f in setting_fields(Config)]
    [('epochs', 'int', 'Epochs', 100)]
    >>> settings_problems(Config(epochs=0))
    [('epochs', 'must be between 1 and 100, e.g. 10')]
"""

from __future__ import annotations

import dataclasses
import math
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from core.errors import ProjectFormatError
from core.layers import Field
from core.recipe.precision import bf16_missing
from core.sweeps.requirements import bayesian_missing, keras_tuner_missing
from core.tensorboard_logs import tensorboard_missing

METADATA_KEY = "setting"
STYLES = ("field", "check", "bare", "group", "switch")
_KINDS = {"int": "int", "float": "float", "bool": "bool", "str": "text"}


@dataclass(frozen=True)
class Limits:
    """A range of numbers, each end included unless ``*_open``; None: no end."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False

    def admit(self, value: float) -> bool:
        if self.low is not None and (
            value <= self.low if self.low_open else value < self.low
        ):
            return False
        return self.high is None or (
            value < self.high if self.high_open else value <= self.high
        )

    def words(self) -> str:
        """``between 0 and 0.5``, ``from 0 to below 1``, ``at least 1``, ..."""
        low = None if self.low is None else f"{self.low:,g}"
        high = None if self.high is None else f"{self.high:,g}"
        if low is not None and high is not None:
            if not (self.low_open or self.high_open):
                return f"between {low} and {high}"
            start = f"above {low}" if self.low_open else f"from {low}"
            end = f"below {high}" if self.high_open else f"at most {high}"
            return f"{start} and {end}" if self.low_open else f"{start} to {end}"
        if low is not None:
            return f"above {low}" if self.low_open else f"at least {low}"
        if high is not None:
            return f"below {high}" if self.high_open else f"at most {high}"
        return "any number"


def _gpu_missing() -> str | None:
    """Asked of ``nvidia-smi``'s presence, not TensorFlow: the form is built at
    start-up, before TensorFlow is imported (that takes seconds)."""
    if shutil.which("nvidia-smi") is not None:
        return None
    return (
        "Needs a GPU: none was found on this machine (no nvidia-smi), and on a "
        "CPU training runs in float32 anyway."
    )


def _bf16_missing() -> str | None:
    """A GPU (as ``REQUIREMENTS["gpu"]`` finds one) or a CPU's bfloat16 flags."""
    return bf16_missing(gpu=REQUIREMENTS["gpu"]() is None)


# Why a need is not met on this machine, or None when it is. Tests replace an
# entry to play another machine.
REQUIREMENTS: dict[str, Callable[[], str | None]] = {
    "gpu": _gpu_missing,
    "bf16": _bf16_missing,
    "tensorboard": tensorboard_missing,
    "keras_tuner": keras_tuner_missing,  # a sweep (core.sweeps)
    "bayesian": bayesian_missing,  # a sweep's Bayesian search
}


@dataclass(frozen=True)
class SettingField(Field):
    """A ``core.layers.Field`` plus where a settings form puts it.

    ``group`` titles the box the field sits in. ``style``: ``field`` is a
    labelled row; ``check`` a check box carrying the label; ``bare`` an editor
    with no label (its ``prefix`` says what it is); ``group`` the bool that
    checks its group box on and off (its fields are off while it is off);
    ``switch`` a number whose label is a check box switching it off and on
    (the config keeps the amount while it is off). Consecutive fields with the
    same ``row`` share one line, indented by ``indent`` pixels. ``used_when``
    (``(field, value)``) is the enable rule; ``needs`` names a requirement
    (``REQUIREMENTS``) without which the field cannot be switched on;
    ``choice_needs`` (``(choice, requirement)`` pairs) the same for single
    choices, which the form offers disabled with the reason.
    ``step`` and ``decimals`` shape a number's spin box; ``placeholder`` is a
    text field's hint while empty. ``loads`` is the wider range older
    versions accepted (None: the bounds themselves).
    """

    group: str = ""
    row: str = ""
    style: str = "field"
    step: float | None = None
    decimals: int | None = None
    prefix: str = ""
    placeholder: str = ""
    indent: int = 0
    needs: str = ""
    choice_needs: tuple[tuple[str, str], ...] = ()
    loads: Limits | None = None

    @property
    def bounds(self) -> Limits:
        """The range a new edit may take: the form's, the CLI's, validation's."""
        return Limits(self.minimum, self.maximum, high_open=self.exclusive_maximum)

    def problem(self, value: Any) -> str | None:
        """Why a new edit may not set this field to ``value``; None if it may."""
        if self.kind == "choice" and value not in self.choices:
            return f"must be one of {', '.join(self.choices)}"
        if self.kind in ("int", "float"):
            if not math.isfinite(value):
                return "must be a finite number"
            if not self.bounds.admit(value):
                return f"must be {self.bounds.words()}, e.g. {self.example:g}"
        return None

    def refusal(self, value: Any) -> str | None:
        """Why no file may hold ``value`` (outside even ``loads``); None if it may."""
        if self.kind in ("int", "float") and self.loads is not None:
            if not math.isfinite(value):
                return "must be a finite number"
            if not self.loads.admit(value):
                return f"must be {self.loads.words()}, e.g. {self.example:g}"
            return None
        return self.problem(value)

    @property
    def example(self) -> float:
        """A value to suggest: the default, or one step when that is 0."""
        return self.default or self.step or 1

    def unmet_need(self) -> str | None:
        """Why this machine cannot use the field (shown to the user), or None."""
        return REQUIREMENTS[self.needs]() if self.needs else None

    def unmet_choices(self) -> dict[str, str]:
        """Why this machine cannot use each of its choices that it cannot."""
        return {
            choice: reason
            for choice, need in self.choice_needs
            if (reason := REQUIREMENTS[need]())
        }


_META_KEYS = {f.name for f in dataclasses.fields(SettingField)} - {
    "name",
    "kind",
    "default",
}


def setting(default: Any, *, label: str, help: str = "", **meta: Any) -> Any:
    """A dataclass field with ``default``, its ``label``, ``help`` and metadata.

    ``meta`` takes the other attributes of a SettingField (``group``,
    ``minimum``, ``choices``, ``used_when``, ``loads``, ...).

    Raises:
        TypeError: for a metadata key SettingField does not know (a typo), or
            a ``needs`` with no requirement, at import time rather than when
            the form is first built.
    """
    unknown = set(meta) - _META_KEYS
    if unknown:
        raise TypeError(f"unknown setting metadata: {', '.join(sorted(unknown))}")
    if meta.get("style", "field") not in STYLES:
        raise TypeError(f"style must be one of {', '.join(STYLES)}")
    needs = [meta.get("needs", ""), *(n for _, n in meta.get("choice_needs", ()))]
    for need in filter(None, needs):
        if need not in REQUIREMENTS:
            raise TypeError(f"unknown requirement {need!r}")
    meta = {"label": label, "help": help, **meta}
    return dataclasses.field(default=default, metadata={METADATA_KEY: meta})


def not_a_setting(default: Any) -> Any:
    """A dataclass field that is state, not a setting a user types (which
    transforms are switched off): forms and ``read_settings`` leave it to
    the class."""
    return dataclasses.field(default=default, metadata={METADATA_KEY: None})


@cache
def setting_fields(cls: type) -> tuple[SettingField, ...]:
    """One SettingField per setting of the dataclass ``cls``, in declaration order.

    Raises:
        ValueError: naming a field declared without ``setting(...)`` (or
            ``not_a_setting``).
    """
    out = []
    for f in dataclasses.fields(cls):
        if METADATA_KEY not in f.metadata:
            raise ValueError(f"{cls.__name__}.{f.name} has no setting metadata")
        meta = f.metadata[METADATA_KEY]
        if meta is None:
            continue
        type_name = f.type if isinstance(f.type, str) else f.type.__name__
        kind = "choice" if meta.get("choices") else _KINDS[type_name]
        out.append(SettingField(name=f.name, kind=kind, default=f.default, **meta))
    return tuple(out)


def settings_problems(config: Any) -> list[tuple[str, str]]:
    """``(field, reason)`` for every setting of ``config`` a new edit may not take.

    A config loaded from an older file may hold such values (``read_settings``
    keeps them); this is how they are flagged.
    """
    return [
        (f.name, reason)
        for f in setting_fields(type(config))
        if (reason := f.problem(getattr(config, f.name)))
    ]


def settings_refusals(config: Any) -> list[tuple[str, str]]:
    """``(field, reason)`` for every setting no run may use, even a recorded one."""
    return [
        (f.name, reason)
        for f in setting_fields(type(config))
        if (reason := f.refusal(getattr(config, f.name)))
    ]


def read_settings(cls: type, data: Any, where: str) -> dict[str, Any]:
    """The settings of a file's section ``data`` as ``cls``'s keyword arguments.

    Each known setting is type-checked by its declaration and refused only
    outside what any version accepted (``SettingField.refusal``): a recorded
    value outside today's bounds is kept, for ``settings_problems`` to flag.
    Keys of ``not_a_setting`` fields are passed through for ``cls`` to check.

    Raises:
        ProjectFormatError: naming ``where.key`` of an unknown key, a value of
            the wrong type, or one refused.
    """
    if not isinstance(data, Mapping):
        raise ProjectFormatError(where, "missing or not an object")
    declared = {f.name: f for f in setting_fields(cls)}
    known = {f.name for f in dataclasses.fields(cls)}
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key not in known:
            raise ProjectFormatError(f"{where}.{key}", "unknown setting")
        field = declared.get(key)
        if field is None:
            values[key] = value
            continue
        typed = _typed(field, value)
        if typed is None:
            raise ProjectFormatError(f"{where}.{key}", f"wrong type: {value!r}")
        reason = field.refusal(typed)
        if reason:
            raise ProjectFormatError(f"{where}.{key}", reason)
        values[key] = typed
    return values


def _typed(field: SettingField, value: Any) -> Any:
    """``value`` as the field's type, or None when it is not one."""
    if isinstance(value, bool):
        return value if field.kind == "bool" else None
    if field.kind == "int":
        return value if isinstance(value, int) else None
    if field.kind == "float":
        return float(value) if isinstance(value, (int, float)) else None
    if field.kind in ("choice", "text"):
        return value if isinstance(value, str) else None
    return None
