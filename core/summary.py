"""Output shapes, parameter counts and validation for a ModelSpec, in pure Python.

The editor recomputes this on every keystroke, so it must never import
TensorFlow; the test-suite holds every number equal to what Keras reports.
Each layer also carries the arithmetic that produced its numbers (the formulas
Keras uses, with the values filled in) so the editor can teach it.

Example:
    >>> from core.presets import preset
    >>> summarize(preset("cifar10-simple-cnn")).total
    122570
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from core.backbone_table import (
    BackboneTable,
    TableNotReady,
    backbone_table,
    cached_table,
    table_key,
)
from core.backbones import (
    backbone_info,
    backbone_size,
    describe_weights,
    effective_freeze,
    is_backbone,
    preprocessing_steps,
    unfrozen_layers,
    weights_problem,
)
from core.layers import WHITENING_FROZEN, layer_kind
from core.spec import INPUT_NAME, InputSpec, LayerSpec, ModelSpec

Shape = tuple[int, ...]
TableSource = Callable[[str, int, int], BackboneTable]
BYTES_PER_WEIGHT = 4  # float32, as Keras counts the memory in its summary


class LayerProblem(Exception):
    """Why a layer cannot take its input; the message says how to fix it."""


@dataclass(frozen=True)
class LayerReport:
    """What one layer does to the shape, and what it costs."""

    name: str
    class_name: str
    output_shape: Shape | None
    trainable: int = 0
    non_trainable: int = 0
    error: str | None = None
    shape_steps: tuple[str, ...] = ()
    param_steps: tuple[str, ...] = ()
    locked: bool = False
    inner: tuple[LayerReport, ...] = ()
    frozen: bool | None = None
    notes: tuple[str, ...] = ()
    # The error is only a wait: a backbone's table is being measured. It still
    # counts as an error (nothing builds meanwhile); views show it as a wait.
    pending: bool = False

    @property
    def params(self) -> int:
        return self.trainable + self.non_trainable

    @property
    def is_block(self) -> bool:
        """A backbone: one row the editor can expand into ``inner``."""
        return bool(self.inner)


@dataclass(frozen=True)
class ModelSummary:
    """Per-layer reports (the head last, locked) and the model's totals."""

    input_shape: Shape
    layers: tuple[LayerReport, ...]
    input_errors: tuple[str, ...] = ()
    trainable: int = field(init=False)
    non_trainable: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "trainable", sum(r.trainable for r in self.layers))
        object.__setattr__(
            self, "non_trainable", sum(r.non_trainable for r in self.layers)
        )

    @property
    def total(self) -> int:
        return self.trainable + self.non_trainable

    @property
    def weight_bytes(self) -> int:
        return self.total * BYTES_PER_WEIGHT

    @property
    def errors(self) -> list[tuple[int, str, str]]:
        """``(index, layer name, message)`` for each invalid layer; -1 is the input."""
        out = [(-1, INPUT_NAME, msg) for msg in self.input_errors]
        out += [(i, r.name, r.error) for i, r in enumerate(self.layers) if r.error]
        return out

    @property
    def is_valid(self) -> bool:
        return not self.errors

    @property
    def measuring(self) -> bool:
        """Invalid only because a backbone's table is still being measured.

        What ``unmeasured_backbone`` names, as seen in a summary made with
        ``cached_only`` tables meanwhile.
        """
        errors = [r for r in self.layers if r.error]
        return bool(errors) and not self.input_errors and all(r.pending for r in errors)

    @property
    def output_shape(self) -> Shape | None:
        return self.layers[-1].output_shape if self.layers else None

    def flat_layers(self) -> list[LayerReport]:
        """Every layer as Keras lists it: a backbone's inner layers in its place."""
        return [inner for r in self.layers for inner in (r.inner or (r,))]


def unmeasured_backbone(spec: ModelSpec) -> tuple[str, int, int] | None:
    """``(architecture, height, width)`` of the backbone table ``spec`` waits for.

    The one answer to "is the backbone measured yet": None when the model needs
    no table (no backbone, or one the summary refuses for its own reasons) or
    its table is cached. The Model page measures what this names, Training
    waits while it names one. Never builds a table (the GUI thread asks).
    """
    key = table_key(spec)
    return key if key is not None and cached_table(*key) is None else None


def summarize(spec: ModelSpec, tables: TableSource = backbone_table) -> ModelSummary:
    """Infer every layer's output shape and weights, and find what is invalid.

    Option errors (a rate of 1.5) are reported on every layer that has one;
    shape errors stop inference, since later shapes would be guesses.

    A backbone (only valid as the first element) becomes one block report whose
    ``inner`` lists its layers; ``tables`` supplies their shapes and counts
    (``core.backbone_table``: cached on disk, built with Keras the first time).
    """
    input_errors = tuple(spec.input.problems())
    shape: Shape | None = None if input_errors else spec.input.shape
    reports: list[LayerReport] = []
    previous = INPUT_NAME
    layers = [*spec.layers, spec.head.layer()]
    inner_names: set[str] = set()
    for index, layer in enumerate(layers):
        locked = index == len(spec.layers)
        if is_backbone(layer.class_name):
            report = _backbone_report(layer, index, spec.input, shape, tables)
            inner_names = {r.name for r in report.inner}
        elif layer.name in inner_names:
            report = LayerReport(
                layer.name,
                layer.class_name,
                None,
                error=f"the backbone already has a layer named {layer.name!r}: "
                "rename this layer",
                locked=locked,
            )
        else:
            report = _report(layer, shape, previous, locked)
            problem = _whitening_problem(layer, reports)
            if problem and not report.error:
                report = LayerReport(layer.name, layer.class_name, None, error=problem)
        reports.append(report)
        shape = report.output_shape
        previous = layer.name
    return ModelSummary(spec.input.shape, tuple(reports), input_errors)


def _backbone_report(
    layer: LayerSpec,
    index: int,
    inp: InputSpec,
    shape: Shape | None,
    tables: TableSource,
) -> LayerReport:
    def failed(message: str, pending: bool = False) -> LayerReport:
        return LayerReport(
            layer.name, layer.class_name, None, error=message, pending=pending
        )

    if index != 0:
        return failed(
            "a backbone can only be the first element of the stack: move it to the "
            "top (the layers after it form the head)"
        )
    try:
        config = layer_kind(layer.class_name).normalize_config(layer.config)
    except ValueError as exc:
        return failed(str(exc))
    if shape is None:
        return failed("the input is invalid")
    arch = config["architecture"]
    info = backbone_info(arch)
    if inp.channels not in (1, 3):
        return failed(
            f"{arch} takes RGB (3 channels) or grayscale (1, repeated to RGB in the "
            f"model) images, not {inp.channels} channels: set the input channels to 3"
        )
    h, w = backbone_size(config, inp.height, inp.width)
    if min(h, w) < info.min_size:
        m = info.min_size
        return failed(
            f"{arch} needs images of at least {m}x{m}, but gets {h}x{w}: set "
            f"resize_to to [{m}, {m}] or larger (about "
            f"{m * m / (h * w):.1f}x the memory per image)"
        )
    try:
        table = tables(arch, h, w)
    except TableNotReady:
        return failed(
            f"{arch}'s layers at {h}x{w} are being measured (built once with "
            "Keras, then cached)",
            pending=True,
        )
    except (ValueError, ImportError) as exc:
        return failed(f"Keras cannot build {arch} at {h}x{w}: {exc}")
    names = [r.name for r in table.rows]
    classes = [r.class_name for r in table.rows]
    try:
        unfrozen = set(unfrozen_layers(names, classes, effective_freeze(config)))
    except ValueError as exc:
        return failed(str(exc))
    inner = []
    current: Shape = (inp.height, inp.width, 3)
    for step in preprocessing_steps(layer.name, config, inp.channels):
        if step.kind == "resize":
            current = (h, w, 3)
        inner.append(
            LayerReport(
                step.name,
                step.class_name,
                current,
                shape_steps=("a stock layer with no weights, part of the backbone",),
                param_steps=("no weights: 0",),
                frozen=True,
            )
        )
    for row in table.rows:
        train = row.trainable if row.name in unfrozen else 0
        inner.append(
            LayerReport(
                row.name,
                row.class_name,
                row.output_shape,
                train,
                row.params - train,
                param_steps=(
                    f"from keras.applications.{arch}: {row.params:,} weights, "
                    f"{train:,} trainable",
                ),
                frozen=row.name not in unfrozen,
            )
        )
    trainable = sum(r.trainable for r in inner)
    total = sum(r.params for r in inner)
    notes = [describe_weights(config["weights"])]
    if config["resize_to"]:
        ratio = h * w / (inp.height * inp.width)
        notes.append(
            f"images are resized from {inp.height}x{inp.width} to {h}x{w} inside "
            f"the model: about {ratio:.1f}x the activation memory per image"
        )
    # A missing weights file is reported here, while editing, and not only
    # when training starts; the counts stay visible.
    return LayerReport(
        layer.name,
        layer.class_name,
        table.output_shape,
        trainable,
        total - trainable,
        weights_problem(config["weights"]),
        (f"{arch} at {h}x{w} (include_top=False): {format_shape(table.output_shape)}",),
        (
            f"{len(table.rows)} layers, {total:,} weights",
            f"trainable: {trainable:,} in {len(unfrozen)} unfrozen layers "
            "(BatchNormalization always stays frozen)",
            f"non-trainable: {total - trainable:,}",
        ),
        inner=tuple(inner),
        notes=tuple(notes),
    )


def _report(
    layer: LayerSpec, shape: Shape | None, previous: str, locked: bool
) -> LayerReport:
    try:
        config = layer_kind(layer.class_name).normalize_config(layer.config)
        problem = _option_problem(config)
    except ValueError as exc:
        config, problem = {}, f"{exc}"
    if problem is None and shape is not None:
        try:
            result = _INFER[layer.class_name](config, shape, previous)
        except LayerProblem as exc:
            problem = str(exc)
        else:
            if locked and len(result.shape) != 1:
                problem = (
                    f"the classifier needs a vector, but {previous!r} outputs "
                    f"{format_shape(shape)}: add Flatten or GlobalAveragePooling2D "
                    "at the end of the stack"
                )
            else:
                return LayerReport(
                    layer.name,
                    layer.class_name,
                    result.shape,
                    result.trainable,
                    result.non_trainable,
                    None,
                    tuple(result.shape_steps),
                    tuple(result.param_steps),
                    locked,
                )
    return LayerReport(layer.name, layer.class_name, None, error=problem, locked=locked)


def _whitening_problem(layer: LayerSpec, earlier: list[LayerReport]) -> str | None:
    """Whitening computes a kernel from the images themselves: the layer must
    see them, not the features of layers that are still random."""
    if layer.config.get("init", "default") == "default":
        return None
    if any(r.is_block for r in earlier):
        return "whitening init is not for a model with a backbone: set init to default"
    weighted = next((r for r in earlier if r.params), None)
    if weighted is not None:
        return (
            f"whitening init is only for the first layer with weights, and "
            f"{weighted.name!r} comes before it: set init to default"
        )
    if layer.config["filters"] < 2:
        return "whitening init needs at least 2 filters: a direction and its negative"
    return None


def _option_problem(c: Mapping[str, Any]) -> str | None:
    """Problems visible from the options alone, before any shape is known."""
    if "dilation_rate" in c and max(c["strides"]) > 1 and max(c["dilation_rate"]) > 1:
        return (
            "strides above 1 cannot be combined with a dilation above 1: "
            "set strides to 1 or dilation to 1"
        )
    return None


def format_shape(shape: Shape | None) -> str:
    """Keras's notation, with the batch dimension: ``(None, 30, 30, 32)``."""
    if shape is None:
        return "?"
    return "(" + ", ".join(["None", *map(str, shape)]) + ")"


@dataclass
class _Result:
    shape: Shape
    trainable: int = 0
    non_trainable: int = 0
    shape_steps: list[str] = field(default_factory=list)
    param_steps: list[str] = field(default_factory=list)


def _need_map(shape: Shape, kind: str, previous: str) -> tuple[int, int, int]:
    if len(shape) != 3:
        raise LayerProblem(
            f"{kind} needs a 2-D feature map (height, width, channels), but "
            f"{previous!r} outputs a vector {format_shape(shape)}: move this layer "
            "before Flatten/global pooling, or remove it"
        )
    return shape  # type: ignore[return-value]


def _window_dim(
    axis: str,
    n: int,
    k: int,
    s: int,
    d: int,
    padding: str,
    what: str,
    steps: list[str],
) -> int:
    """One spatial dimension through a sliding window, as Keras computes it."""
    if padding == "same":
        out = math.ceil(n / s)
        steps.append(f"{axis}: same padding: ceil(n / s) = ceil({n} / {s}) = {out}")
        if s == 1 and d == 1 and k % 2 == 1:
            p = (k - 1) // 2
            steps.append(
                f"    as (I - K + 2P) / S + 1 with P = (K - 1) / 2 = {p}: "
                f"({n} - {k} + 2*{p}) / 1 + 1 = {out}"
            )
        return out
    span = d * (k - 1) + 1
    out = (n - span) // s + 1
    if n - span < 0:
        raise LayerProblem(
            f"the {what} {span} is larger than the input {axis} {n} with 'valid' "
            f"padding: use padding 'same', a smaller {what}, or remove an earlier "
            "pooling/strided layer"
        )
    if d == 1:
        steps.append(
            f"{axis}: valid padding: floor((n - k) / s) + 1 = "
            f"floor(({n} - {k}) / {s}) + 1 = {out}"
        )
        exact = (n - k) % s == 0
        steps.append(
            f"    as (I - K + 2P) / S + 1 with P = 0: ({n} - {k} + 0) / {s} + 1 = "
            f"{out}" + ("" if exact else " (rounded down)")
        )
    else:
        steps.append(
            f"{axis}: valid padding: floor((n - d*(k - 1) - 1) / s) + 1 = "
            f"floor(({n} - {d}*({k} - 1) - 1) / {s}) + 1 = {out}"
        )
    return out


def _spatial(
    h: int, w: int, c: Mapping[str, Any], kernel_key: str, what: str, steps: list[str]
) -> tuple[int, int]:
    kh, kw = c[kernel_key]
    strides = c.get("strides") or c[kernel_key]
    sh, sw = strides
    dh, dw = c.get("dilation_rate", [1, 1])
    pad = c["padding"]
    oh = _window_dim("height", h, kh, sh, dh, pad, what, steps)
    ow = _window_dim("width", w, kw, sw, dw, pad, what, steps)
    return oh, ow


def _bias(c: Mapping[str, Any], n: int) -> tuple[int, str]:
    return (n, " + 1") if c.get("use_bias", True) else (0, "")


def _conv2d(c: Mapping[str, Any], shape: Shape, prev: str) -> _Result:
    h, w, cin = _need_map(shape, "Conv2D", prev)
    r = _Result(shape)
    oh, ow = _spatial(h, w, c, "kernel_size", "kernel", r.shape_steps)
    f = c["filters"]
    kh, kw = c["kernel_size"]
    bias, plus = _bias(c, f)
    r.shape = (oh, ow, f)
    r.shape_steps.append(f"channels: filters = {f}")
    r.trainable = kh * kw * cin * f + bias
    r.param_steps.append(
        f"(kernel_h * kernel_w * in_channels{plus}) * filters = "
        f"({kh}*{kw}*{cin}{plus}) * {f} = {r.trainable}"
    )
    if c.get("init") == WHITENING_FROZEN:
        r.trainable, r.non_trainable = 0, r.trainable
        r.param_steps.append("frozen: the whitening kernel does not train")
    return r


def _separable(c: Mapping[str, Any], shape: Shape, prev: str) -> _Result:
    h, w, cin = _need_map(shape, "SeparableConv2D", prev)
    r = _Result(shape)
    oh, ow = _spatial(h, w, c, "kernel_size", "kernel", r.shape_steps)
    f, m = c["filters"], c["depth_multiplier"]
    kh, kw = c["kernel_size"]
    bias, _ = _bias(c, f)
    depthwise = kh * kw * cin * m
    pointwise = cin * m * f
    r.shape = (oh, ow, f)
    r.shape_steps.append(f"channels: filters = {f}")
    r.trainable = depthwise + pointwise + bias
    r.param_steps += [
        f"depthwise: kernel_h * kernel_w * in_channels * depth_multiplier = "
        f"{kh}*{kw}*{cin}*{m} = {depthwise}",
        f"pointwise: in_channels * depth_multiplier * filters = {cin}*{m}*{f} = "
        f"{pointwise}",
        f"bias: {bias}",
        f"total: {depthwise} + {pointwise} + {bias} = {r.trainable}",
    ]
    return r


def _depthwise(c: Mapping[str, Any], shape: Shape, prev: str) -> _Result:
    h, w, cin = _need_map(shape, "DepthwiseConv2D", prev)
    r = _Result(shape)
    oh, ow = _spatial(h, w, c, "kernel_size", "kernel", r.shape_steps)
    m = c["depth_multiplier"]
    kh, kw = c["kernel_size"]
    out_c = cin * m
    bias, plus = _bias(c, out_c)
    r.shape = (oh, ow, out_c)
    r.shape_steps.append(
        f"channels: in_channels * depth_multiplier = {cin}*{m} = {out_c}"
    )
    r.trainable = kh * kw * out_c + bias
    r.param_steps.append(
        f"(kernel_h * kernel_w{plus}) * in_channels * depth_multiplier = "
        f"({kh}*{kw}{plus}) * {cin}*{m} = {r.trainable}"
    )
    return r


def _pooling(kind: str) -> Callable[[Mapping[str, Any], Shape, str], _Result]:
    def infer(c: Mapping[str, Any], shape: Shape, prev: str) -> _Result:
        h, w, ch = _need_map(shape, kind, prev)
        r = _Result(shape)
        oh, ow = _spatial(h, w, c, "pool_size", "pool window", r.shape_steps)
        r.shape = (oh, ow, ch)
        r.shape_steps.append(f"channels: unchanged = {ch}")
        r.param_steps.append("pooling has no weights: 0")
        return r

    return infer


def _global_pool(kind: str) -> Callable[[Mapping[str, Any], Shape, str], _Result]:
    def infer(c: Mapping[str, Any], shape: Shape, prev: str) -> _Result:
        _, _, ch = _need_map(shape, kind, prev)
        out = (1, 1, ch) if c["keepdims"] else (ch,)
        return _Result(
            out,
            shape_steps=[f"one value per channel: {ch}"],
            param_steps=["pooling has no weights: 0"],
        )

    return infer


def _flatten(c: Mapping[str, Any], shape: Shape, prev: str) -> _Result:
    n = math.prod(shape)
    how = " * ".join(map(str, shape))
    return _Result((n,), shape_steps=[f"{how} = {n}"], param_steps=["no weights: 0"])


def _dense(c: Mapping[str, Any], shape: Shape, prev: str) -> _Result:
    units = c["units"]
    d = shape[-1]
    bias, plus = _bias(c, units)
    r = _Result((*shape[:-1], units))
    r.shape_steps.append(f"last axis: units = {units}")
    if len(shape) > 1:
        r.shape_steps.append("applied to the last axis of each position")
    r.trainable = d * units + bias
    r.param_steps.append(
        f"(inputs{plus}) * units = ({d}{plus}) * {units} = {r.trainable}"
    )
    return r


def _same_shape(note: str, need_map: str | None = None) -> Callable[..., _Result]:
    def infer(c: Mapping[str, Any], shape: Shape, prev: str) -> _Result:
        if need_map:
            _need_map(shape, need_map, prev)
        return _Result(shape, shape_steps=["shape unchanged"], param_steps=[note])

    return infer


def _batch_norm(c: Mapping[str, Any], shape: Shape, prev: str) -> _Result:
    ch = shape[-1]
    learned = ch * (int(c["center"]) + int(c["scale"]))
    r = _Result(shape, learned, 2 * ch, ["shape unchanged"])
    parts = [name for name, on in (("gamma", c["scale"]), ("beta", c["center"])) if on]
    r.param_steps += [
        f"trainable: {' + '.join(parts) or 'none'} = "
        f"{len(parts)} * {ch} channels = {learned}",
        f"non-trainable: moving mean + moving variance = 2 * {ch} = {2 * ch}",
    ]
    return r


def _zero_padding(c: Mapping[str, Any], shape: Shape, prev: str) -> _Result:
    h, w, ch = _need_map(shape, "ZeroPadding2D", prev)
    (t, b), (left, right) = c["padding"]
    oh, ow = h + t + b, w + left + right
    return _Result(
        (oh, ow, ch),
        shape_steps=[
            f"height: {h} + {t} + {b} = {oh}",
            f"width: {w} + {left} + {right} = {ow}",
        ],
        param_steps=["no weights: 0"],
    )


_INFER: dict[str, Callable[[Mapping[str, Any], Shape, str], _Result]] = {
    "Conv2D": _conv2d,
    "SeparableConv2D": _separable,
    "DepthwiseConv2D": _depthwise,
    "MaxPooling2D": _pooling("MaxPooling2D"),
    "AveragePooling2D": _pooling("AveragePooling2D"),
    "GlobalAveragePooling2D": _global_pool("GlobalAveragePooling2D"),
    "GlobalMaxPooling2D": _global_pool("GlobalMaxPooling2D"),
    "Flatten": _flatten,
    "Dense": _dense,
    "Dropout": _same_shape("no weights: 0"),
    "SpatialDropout2D": _same_shape("no weights: 0", "SpatialDropout2D"),
    "BatchNormalization": _batch_norm,
    "Activation": _same_shape("no weights: 0"),
    "ReLU": _same_shape("no weights: 0"),
    "Rescaling": _same_shape("no weights: 0"),
    "ZeroPadding2D": _zero_padding,
}


def readable_bytes(size: float) -> str:
    """Keras's own formatting (``478.79 KB``), so our totals read like its summary."""
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size / 1024 < 1:
            return f"{size:.2f} {unit}"
        size /= 1024
    return f"{size:.2f} PB"


def format_table(
    spec: ModelSpec, summary: ModelSummary | None = None, expand: bool = False
) -> str:
    """A Keras-style summary table ending with its three totals lines.

    A backbone is one row; ``expand`` lists its layers under it, indented, with
    ``[frozen]`` after those that do not train.
    """
    s = summary or summarize(spec)
    rows = [(f"{INPUT_NAME} (InputLayer)", format_shape(spec.input.shape), "0")]
    for r in s.layers:
        rows.append(
            (
                f"{r.name} ({r.class_name})",
                format_shape(r.output_shape) if not r.error else "invalid",
                f"{r.params:,}" if not r.error else "-",
            )
        )
        for inner in r.inner if expand else ():
            mark = " [frozen]" if inner.frozen else ""
            rows.append(
                (
                    f"  {inner.name} ({inner.class_name}){mark}",
                    format_shape(inner.output_shape),
                    f"{inner.params:,}",
                )
            )
    widths = [
        max(len(row[i]) for row in [("Layer (type)", "Output Shape", "Param #"), *rows])
        for i in range(3)
    ]
    line = "  ".join("-" * w for w in widths)

    def fmt(row: tuple[str, str, str]) -> str:
        return f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]:>{widths[2]}}"

    out = [
        f'Model: "{spec.name}"',
        line,
        fmt(("Layer (type)", "Output Shape", "Param #")),
        line,
    ]
    out += [fmt(row) for row in rows]
    out.append(line)
    b = BYTES_PER_WEIGHT
    out += [
        f"Total params: {s.total:,} ({readable_bytes(s.total * b)})",
        f"Trainable params: {s.trainable:,} ({readable_bytes(s.trainable * b)})",
        f"Non-trainable params: {s.non_trainable:,} "
        f"({readable_bytes(s.non_trainable * b)})",
    ]
    return "\n".join(out)
