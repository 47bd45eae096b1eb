"""Where a newly ticked setting's range starts, and a range in a few words.

A range is what SWEEP.json's ``vary`` holds for one key (``{"values": [...]}``
or ``{"min": A, "max": B}`` with an optional ``step`` or ``log``,
docs/sweeps.md). The start is only a suggestion the user edits: around the
project's current value, inside the setting's declared bounds, so a ticked
setting is valid at once (``core.sweeps.spec`` checks every range again).
"""

from __future__ import annotations

from typing import Any

from core.sweeps.space import LAYERS, Sweepable

SPAN = 10.0  # a log range starts a decade either side of the current value
TOP_SHARE = 0.9  # of an exclusive maximum: the highest a start may reach


def starting_range(setting: Sweepable) -> dict[str, Any]:
    """A range for ``setting`` around its current value, inside its bounds.

    A choice starts with every choice, a switch with both; a number with
    half to twice its value (a decade either side on a log scale).
    """
    if setting.kind == "bool":
        return {"values": [True, False]}
    if setting.kind == "choice":
        return {"values": list(setting.choices)}
    low, high = _bounds(setting)
    current = float(setting.default or 0)
    if setting.log:
        floor = max(low, 1e-8)
        centre = current if current > 0 else max(floor, min(high, 1e-3))
        start, end = max(floor, centre / SPAN), min(high, centre * SPAN)
        return _ordered(setting, start, end, log=True)
    if current > 0:
        start, end = max(low, current / 2), min(high, current * 2)
    else:
        start, end = max(low, 0.0), min(high, low + (high - low) * 0.2)
    return _ordered(setting, start, end, log=False)


def range_words(raw: dict[str, Any]) -> str:
    """``0.0001 to 0.01, log`` or ``adam, sgd``: the tree's second column."""
    if "values" in raw:
        return ", ".join(_number(v) for v in raw["values"])
    words = f"{_number(raw.get('min'))} to {_number(raw.get('max'))}"
    if raw.get("log"):
        words += ", log"
    if raw.get("step") is not None:
        words += f", step {_number(raw['step'])}"
    return words


def heading(key: str) -> str:
    """A column's or axis's short name: ``learning rate`` for
    ``training.learning_rate``, ``conv2d_1 filters`` for a layer's option
    (whose layer name may hold dots), ``val accuracy``."""
    section, _, rest = key.partition(".")
    if section == LAYERS and rest:
        layer, _, option = rest.rpartition(".")
        return f"{layer} {option}"
    return (rest or section).replace("_", " ")


def _bounds(setting: Sweepable) -> tuple[float, float]:
    """The declared bounds a start may use (an open end: the current value's
    scale; an exclusive top: a little below it)."""
    current = abs(float(setting.default or 0))
    low = setting.minimum if setting.minimum is not None else -max(current * 4, 1.0)
    high = setting.maximum if setting.maximum is not None else max(current * 4, 1.0)
    if setting.exclusive_maximum:
        high = low + (high - low) * TOP_SHARE
    return float(low), float(high)


def _ordered(setting: Sweepable, start: float, end: float, log: bool) -> dict:
    """``min`` below ``max`` as the setting's kind (whole numbers stay whole)."""
    if setting.kind == "int":
        low, high = _bounds(setting)
        first, last = round(start), round(end)
        if first >= last:
            first, last = int(low), int(min(high, low + 1))
        out: dict[str, Any] = {"min": first, "max": max(last, first + 1)}
    else:
        if start >= end:
            end = start + 1.0
        out = {"min": round(start, 10), "max": round(end, 10)}
    if log and out["min"] > 0:
        out["log"] = True
    return out


def _number(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
