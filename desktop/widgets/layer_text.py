"""Short human-readable text for layers: the key options shown in the stack list.

Kept apart from the item model so the palette, the list and the details pane
describe a layer in the same words ("32 filters 3x3 relu valid").
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePath
from typing import Any

from core.backbones import WEIGHTS_IMAGENET, WEIGHTS_NONE
from core.layers import Field, layer_kind
from core.spec import LayerSpec
from core.summary import LayerReport, format_shape


def _pair(value: Any) -> str:
    return "x".join(str(v) for v in value)


def _num(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


# Field name -> text for a value (None hides it). Anything not listed falls
# back to "label value"; defaults that merely restate Keras's are hidden so the
# row shows what makes this layer different.
_FORMATS: dict[str, Callable[[Any, Field], str | None]] = {
    "filters": lambda v, f: f"{v} filters",
    "units": lambda v, f: f"{v} units",
    "kernel_size": lambda v, f: _pair(v),
    "pool_size": lambda v, f: _pair(v),
    "strides": lambda v, f: None if v in (None, f.default) else f"stride {_pair(v)}",
    "dilation_rate": lambda v, f: None if v == f.default else f"dilation {_pair(v)}",
    "depth_multiplier": lambda v, f: None if v == 1 else f"x{v} depth",
    "activation": lambda v, f: str(v),
    "padding": lambda v, f: (
        "pad " + ",".join(str(n) for side in v for n in side)
        if isinstance(v, list)
        else str(v)
    ),
    "rate": lambda v, f: f"rate {_num(v)}",
    "max_value": lambda v, f: None if v is None else f"max {_num(v)}",
    "scale": lambda v, f: _scale(v, f),
    # A backbone's defaults are its choices: "VGG16 imagenet weights frozen",
    # not "no options".
    "architecture": lambda v, f: str(v),
    "weights": lambda v, f: _weights(str(v)),
    "freeze": lambda v, f: _FREEZE.get(v, f"freeze {v}"),
    "resize_to": lambda v, f: None if v is None else f"resized to {_pair(v)}",
}
_FREEZE = {
    "all": "frozen",
    "none": "trainable",
    "from_layer": "partly frozen",
    "last_n": "partly frozen",
}
# Padding reads best last: "32 filters 3x3 relu valid".
_LAST = ("padding",)


def describe_options(layer: LayerSpec) -> str:
    """The layer's key options in a few words, e.g. ``32 filters 3x3 relu valid``."""
    try:
        kind = layer_kind(layer.class_name)
    except ValueError:
        return ""
    # Options the other options make moot (a backbone's unfreeze_from while
    # freeze is "all") are left out: the row shows what the layer does.
    used = [f for f in kind.fields if f.is_used(layer.config)]
    ordered = sorted(used, key=lambda f: f.name in _LAST)
    parts = [_describe(f, layer.config.get(f.name, f.default)) for f in ordered]
    return " ".join(p for p in parts if p)


def _describe(field: Field, value: Any) -> str | None:
    if field.name in _FORMATS:
        return _FORMATS[field.name](value, field)
    if field.kind == "bool":
        if value == field.default:
            return None
        return field.label.lower() if value else f"no {field.label.lower()}"
    if value == field.default:
        return None
    return f"{field.label.lower()} {_num(value)}"


def _weights(value: str) -> str:
    """``imagenet weights``, ``random weights`` or the weights file's name."""
    if value == WEIGHTS_NONE:
        return "random weights"
    if value == WEIGHTS_IMAGENET:
        return f"{value} weights"
    return f"weights {PurePath(value).name}"


def _scale(value: Any, field: Field) -> str | None:
    """Rescaling's 1/255 reads better as a fraction; BatchNorm's scale is a bool."""
    if field.kind == "bool":
        return None if value == field.default else ("scale" if value else "no scale")
    if value and abs(1 / value - round(1 / value)) < 1e-6 and abs(value) < 1:
        return f"scale 1/{round(1 / value)}"
    return f"scale {_num(value)}"


def format_params(count: int) -> str:
    """Parameter counts as Keras prints them: ``18,496``."""
    return f"{count:,}"


def report_shape(report: LayerReport | None) -> str:
    """The output shape in Keras notation, or why it is unknown."""
    if report is not None and report.pending:
        return "measuring…"
    if report is None or report.error:
        return "invalid"
    return format_shape(report.output_shape)


def report_params(report: LayerReport | None) -> str:
    if report is None or report.error or report.output_shape is None:
        return "-"
    return format_params(report.params)
