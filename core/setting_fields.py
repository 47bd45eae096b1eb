"""Field metadata for settings dataclasses: label, help, group, range, enable rule.

A settings dataclass declares each field with ``setting(default, ...)``, a
``dataclasses.field`` whose metadata says how the field is labelled, limited
and laid out. ``setting_fields(cls)`` reads that back as one ``SettingField``
per field, in declaration order. The desktop generates its form from these,
as the layer options form comes from ``core.layers``, so the form's ranges,
choices and enable rules are the config's own and cannot drift from it.

Example:
    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True)
    ... class Config:
    ...     epochs: int = setting(10, label="Epochs", minimum=1, maximum=100)
    >>> [(f.name, f.kind, f.label, f.maximum) for f in setting_fields(Config)]
    [('epochs', 'int', 'Epochs', 100)]
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from core.layers import Field

METADATA_KEY = "setting"
STYLES = ("field", "check", "bare", "group")
_KINDS = {"int": "int", "float": "float", "bool": "bool", "str": "text"}


@dataclass(frozen=True)
class SettingField(Field):
    """A ``core.layers.Field`` plus where a settings form puts it.

    ``group`` titles the box the field sits in. ``style``: ``field`` is a
    labelled row; ``check`` a check box carrying the label; ``bare`` an editor
    with no label (its ``prefix`` says what it is); ``group`` the bool that
    checks its group box on and off (its fields are off while it is off).
    Consecutive fields with the same ``row`` share one line, indented by
    ``indent`` pixels. ``used_when`` (``(field, value)``) is the enable rule.
    ``step`` and ``decimals`` shape a number's spin box; ``placeholder`` is a
    text field's hint while empty.
    """

    group: str = ""
    row: str = ""
    style: str = "field"
    step: float | None = None
    decimals: int | None = None
    prefix: str = ""
    placeholder: str = ""
    indent: int = 0


_META_KEYS = {f.name for f in dataclasses.fields(SettingField)} - {
    "name",
    "kind",
    "default",
}


def setting(default: Any, *, label: str, help: str = "", **meta: Any) -> Any:
    """A dataclass field with ``default``, its ``label``, ``help`` and metadata.

    ``meta`` takes the other attributes of a SettingField (``group``,
    ``minimum``, ``choices``, ``used_when``, ...).

    Raises:
        TypeError: for a metadata key SettingField does not know (a typo), at
            import time rather than when the form is first built.
    """
    unknown = set(meta) - _META_KEYS
    if unknown:
        raise TypeError(f"unknown setting metadata: {', '.join(sorted(unknown))}")
    if meta.get("style", "field") not in STYLES:
        raise TypeError(f"style must be one of {', '.join(STYLES)}")
    meta = {"label": label, "help": help, **meta}
    return dataclasses.field(default=default, metadata={METADATA_KEY: meta})


def setting_fields(cls: type) -> tuple[SettingField, ...]:
    """One SettingField per field of the dataclass ``cls``, in declaration order.

    Raises:
        ValueError: naming a field declared without ``setting(...)``.
    """
    out = []
    for f in dataclasses.fields(cls):
        meta = f.metadata.get(METADATA_KEY)
        if meta is None:
            raise ValueError(f"{cls.__name__}.{f.name} has no setting metadata")
        type_name = f.type if isinstance(f.type, str) else f.type.__name__
        kind = "choice" if meta.get("choices") else _KINDS[type_name]
        out.append(SettingField(name=f.name, kind=kind, default=f.default, **meta))
    return tuple(out)
