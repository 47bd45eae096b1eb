"""The catalogue of layer kinds the editor offers, with typed option metadata.

One table drives three things that must agree: validating configs read from a
project file, generating the GUI's option form, and generating random valid
stacks in the tests. Option names are Keras config keys, so a layer's config
can be handed to ``keras.layers.<class_name>(**config)`` unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.backbones import (
    BACKBONE_CLASS,
    BACKBONES,
    FREEZE_MODES,
    WEIGHTS_IMAGENET,
    WEIGHTS_NONE,
)
from core.errors import SpecError

ACTIVATIONS: tuple[str, ...] = (
    "linear",
    "relu",
    "relu6",
    "leaky_relu",
    "elu",
    "selu",
    "gelu",
    "silu",
    "swish",
    "mish",
    "sigmoid",
    "hard_sigmoid",
    "tanh",
    "softplus",
    "softsign",
    "softmax",
)
PADDINGS: tuple[str, ...] = ("valid", "same")
# A Conv2D's start: Keras's own initialisers, or patch whitening from the
# training images (core.recipe.whitening), its kernel then frozen or trained on.
WHITENING_FROZEN = "whitening (frozen)"
WHITENING_TRAINABLE = "whitening (trainable)"
INITS: tuple[str, ...] = ("default", WHITENING_FROZEN, WHITENING_TRAINABLE)
# Options the app applies itself, not Keras arguments, with their defaults:
# ``LayerSpec.keras_config`` leaves them out, and a project file only names one
# that differs from its default, so files without it load and save unchanged.
APP_OPTIONS: dict[str, Any] = {"init": "default"}


class OptionError(SpecError, ValueError):
    """A bad layer option; ``option`` names it so callers can point at the field.

    A SpecError, so every caller that shows the project's own errors shows it;
    still a ValueError for the form editors that catch bad typed values.
    """

    def __init__(self, option: str, message: str) -> None:
        super().__init__(message)
        self.option = option


@dataclass(frozen=True)
class Field:
    """One option of a layer kind.

    ``kind`` is one of ``int``, ``float``, ``bool``, ``choice``, ``pair`` (two
    positive ints, Keras accepts an int too), ``optional_pair`` (a pair or
    ``None``, meaning "same as pool_size"), ``optional_float``, ``padding2d``
    (``[[top, bottom], [left, right]]``) and ``text`` (a non-empty string, or
    any string when ``default`` is empty; a layer name or a file path). A
    ``text`` field's ``choices`` are suggestions, not a limit.

    ``used_when`` is ``(option, value)`` when the field only matters while
    another option has that value (a backbone's ``last_n`` with freeze
    ``last_n``), or ``(option, (value, ...))`` while it has any of those
    values; editors disable it otherwise and summaries leave it out.
    """

    name: str
    kind: str
    default: Any
    label: str
    help: str
    minimum: float | None = None
    maximum: float | None = None
    exclusive_maximum: bool = False
    choices: tuple[str, ...] = ()
    used_when: tuple[str, Any] | None = None

    def is_used(self, config: Mapping[str, Any]) -> bool:
        """Whether this option has any effect with the other options ``config``."""
        if self.used_when is None:
            return True
        option, value = self.used_when
        if isinstance(value, tuple):
            return config.get(option) in value
        return config.get(option) == value

    def coerce(self, value: Any) -> Any:
        """Return ``value`` in canonical form, or raise ValueError saying why not.

        Canonical forms are JSON-friendly: pairs are lists, padding is a list of
        lists, so a coerced config round-trips through a project file unchanged.
        """
        if self.kind == "bool":
            if not isinstance(value, bool):
                raise ValueError(f"{self.name} must be true or false, not {value!r}")
            return value
        if self.kind == "choice":
            if value not in self.choices:
                options = ", ".join(self.choices)
                raise ValueError(f"{self.name} must be one of {options}; got {value!r}")
            return value
        if self.kind == "int":
            return self._check_range(_as_int(self.name, value))
        if self.kind == "float":
            return self._check_range(_as_float(self.name, value))
        if self.kind == "optional_float":
            return (
                None
                if value is None
                else self._check_range(_as_float(self.name, value))
            )
        if self.kind == "pair":
            return [self._check_range(v) for v in _as_pair(self.name, value)]
        if self.kind == "optional_pair":
            if value is None:
                return None
            return [self._check_range(v) for v in _as_pair(self.name, value)]
        if self.kind == "padding2d":
            return _as_padding(self.name, value)
        if self.kind == "text":
            if not isinstance(value, str) or (self.default and not value.strip()):
                raise ValueError(f"{self.name} must be a text, not {value!r}")
            return value.strip()
        raise AssertionError(f"unknown field kind {self.kind}")

    def _check_range(self, value: float) -> Any:
        if self.minimum is not None and value < self.minimum:
            raise ValueError(
                f"{self.name} must be at least {_num(self.minimum)}; got {_num(value)}"
            )
        if self.maximum is not None:
            too_big = (
                value >= self.maximum
                if self.exclusive_maximum
                else value > self.maximum
            )
            if too_big:
                bound = "below" if self.exclusive_maximum else "at most"
                raise ValueError(
                    f"{self.name} must be {bound} {_num(self.maximum)}; "
                    f"got {_num(value)}"
                )
        return value


@dataclass(frozen=True)
class LayerKind:
    """A layer type the editor can add: its Keras class name and options."""

    class_name: str
    base_name: str
    category: str
    description: str
    fields: tuple[Field, ...]

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    def default_config(self) -> dict[str, Any]:
        return {f.name: _copy(f.default) for f in self.fields}

    def normalize_config(self, config: Mapping[str, Any]) -> dict[str, Any]:
        """Fill defaults, coerce every option, and reject unknown keys.

        Raises:
            ValueError: naming the offending option, e.g. ``"units must be at
                least 1; got 0"``.
        """
        unknown = sorted(set(config) - {f.name for f in self.fields} - {"name"})
        if unknown:
            raise OptionError(
                unknown[0],
                f"{self.class_name} has no option {unknown[0]!r}; known options: "
                f"{', '.join(f.name for f in self.fields) or 'none'}",
            )
        out: dict[str, Any] = {}
        for f in self.fields:
            try:
                out[f.name] = f.coerce(config.get(f.name, _copy(f.default)))
            except ValueError as exc:
                raise OptionError(f.name, str(exc)) from None
        return out


def _num(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _copy(value: Any) -> Any:
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _as_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} must be a whole number, not {value!r}")
    if isinstance(value, float) and not value.is_integer():
        raise ValueError(f"{name} must be a whole number, not {value!r}")
    return int(value)


def _as_float(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} must be a number, not {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, not {value!r}")
    return float(value)


def _as_pair(name: str, value: Any) -> list[int]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        n = _as_int(name, value)
        return [n, n]
    if isinstance(value, (list, tuple)) and len(value) == 2:
        return [_as_int(name, v) for v in value]
    raise ValueError(f"{name} must be a number or a pair like [3, 3], not {value!r}")


def _as_padding(name: str, value: Any) -> list[list[int]]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        n = _as_int(name, value)
        rows = [[n, n], [n, n]]
    elif isinstance(value, (list, tuple)) and len(value) == 2:
        if all(isinstance(v, (list, tuple)) for v in value):
            rows = [_as_pair(name, v) for v in value]
        else:
            h, w = _as_pair(name, value)
            rows = [[h, h], [w, w]]
    else:
        raise ValueError(
            f"{name} must be a number, [height, width] or "
            f"[[top, bottom], [left, right]], not {value!r}"
        )
    if any(v < 0 for row in rows for v in row):
        raise ValueError(f"{name} cannot be negative; got {value!r}")
    return rows


def _filters(default: int) -> Field:
    return Field("filters", "int", default, "Filters", "Number of output channels.", 1)


def _kernel() -> Field:
    return Field(
        "kernel_size",
        "pair",
        [3, 3],
        "Kernel size",
        "Height and width of the window.",
        1,
    )


def _strides() -> Field:
    return Field("strides", "pair", [1, 1], "Strides", "Step between windows.", 1)


def _padding(default: str = "valid") -> Field:
    return Field(
        "padding",
        "choice",
        default,
        "Padding",
        "'valid' uses only whole windows and shrinks the map; 'same' pads with "
        "zeros so the size is only divided by the stride.",
        choices=PADDINGS,
    )


def _dilation() -> Field:
    return Field(
        "dilation_rate",
        "pair",
        [1, 1],
        "Dilation",
        "Spacing between kernel taps; widens the view without more weights.",
        1,
    )


def _activation(default: str = "relu") -> Field:
    return Field(
        "activation",
        "choice",
        default,
        "Activation",
        "Non-linearity applied to the output.",
        choices=ACTIVATIONS,
    )


def _init() -> Field:
    return Field(
        "init",
        "choice",
        "default",
        "Init",
        "How the kernel starts: Keras's default, or whitening: filters computed "
        "from patches of the training images that make this layer's outputs "
        "uncorrelated (only the first layer with weights); frozen keeps them.",
        choices=INITS,
    )


def _use_bias() -> Field:
    return Field(
        "use_bias", "bool", True, "Use bias", "Add a learned offset per output."
    )


def _depth_multiplier() -> Field:
    return Field(
        "depth_multiplier",
        "int",
        1,
        "Depth multiplier",
        "Output channels per input channel in the depthwise step.",
        1,
    )


def _depthwise_fields() -> tuple[Field, ...]:
    """The options shared by the depthwise and separable convolutions."""
    return (
        _kernel(),
        _strides(),
        _padding(),
        _dilation(),
        _depth_multiplier(),
        _activation(),
        _use_bias(),
    )


def _rate(default: float, what: str) -> Field:
    return Field(
        "rate",
        "float",
        default,
        "Rate",
        f"Fraction of {what} set to zero during training.",
        0.0,
        1.0,
        exclusive_maximum=True,
    )


def _pool(class_name: str, base: str, what: str) -> LayerKind:
    return LayerKind(
        class_name,
        base,
        "Pooling",
        f"Takes the {what} of each window, shrinking the feature map.",
        (
            Field("pool_size", "pair", [2, 2], "Pool size", "Window size.", 1),
            Field(
                "strides",
                "optional_pair",
                None,
                "Strides",
                "Step between windows; empty means the same as the pool size.",
                1,
            ),
            _padding(),
        ),
    )


def _global_pool(class_name: str, base: str, what: str) -> LayerKind:
    return LayerKind(
        class_name,
        base,
        "Pooling",
        f"Takes the {what} over the whole map: one value per channel.",
        (
            Field(
                "keepdims",
                "bool",
                False,
                "Keep dims",
                "Keep a 1x1 spatial shape instead of returning a vector.",
            ),
        ),
    )


LAYER_KINDS: dict[str, LayerKind] = {
    kind.class_name: kind
    for kind in (
        LayerKind(
            "Conv2D",
            "conv2d",
            "Convolution",
            "Slides learned filters over the image.",
            (
                _filters(32),
                _kernel(),
                _strides(),
                _padding(),
                _dilation(),
                _activation(),
                _use_bias(),
                _init(),
            ),
        ),
        LayerKind(
            "SeparableConv2D",
            "separable_conv2d",
            "Convolution",
            "A depthwise convolution then a 1x1 convolution: far fewer weights.",
            (_filters(32), *_depthwise_fields()),
        ),
        LayerKind(
            "DepthwiseConv2D",
            "depthwise_conv2d",
            "Convolution",
            "One filter per input channel; channels are not mixed.",
            _depthwise_fields(),
        ),
        _pool("MaxPooling2D", "max_pooling2d", "maximum"),
        _pool("AveragePooling2D", "average_pooling2d", "average"),
        _global_pool("GlobalAveragePooling2D", "global_average_pooling2d", "average"),
        _global_pool("GlobalMaxPooling2D", "global_max_pooling2d", "maximum"),
        LayerKind(
            "Flatten",
            "flatten",
            "Reshaping",
            "Unrolls the feature map into one vector for Dense layers.",
            (),
        ),
        LayerKind(
            "Dense",
            "dense",
            "Core",
            "Every input connected to every unit.",
            (
                Field("units", "int", 64, "Units", "Number of outputs.", 1),
                _activation(),
                _use_bias(),
            ),
        ),
        LayerKind(
            "Dropout",
            "dropout",
            "Regularization",
            "Randomly zeroes inputs while training to fight overfitting.",
            (_rate(0.5, "inputs"),),
        ),
        LayerKind(
            "SpatialDropout2D",
            "spatial_dropout2d",
            "Regularization",
            "Drops whole channels of a feature map while training.",
            (_rate(0.2, "channels"),),
        ),
        LayerKind(
            "BatchNormalization",
            "batch_normalization",
            "Normalization",
            "Normalizes each channel; its moving statistics are not trained.",
            (
                Field(
                    "momentum",
                    "float",
                    0.99,
                    "Momentum",
                    "How slowly the moving statistics follow each batch.",
                    0.0,
                    1.0,
                ),
                Field(
                    "epsilon",
                    "float",
                    0.001,
                    "Epsilon",
                    "Added to the variance to avoid dividing by zero.",
                    1e-12,
                ),
                Field("center", "bool", True, "Center", "Learn an offset (beta)."),
                Field("scale", "bool", True, "Scale", "Learn a scale (gamma)."),
            ),
        ),
        LayerKind(
            "Activation",
            "activation",
            "Core",
            "Applies a non-linearity on its own.",
            (_activation(),),
        ),
        LayerKind(
            "ReLU",
            "relu",
            "Core",
            "Rectified linear unit with optional cap, slope and threshold.",
            (
                Field(
                    "max_value",
                    "optional_float",
                    None,
                    "Max value",
                    "Cap on the output; empty means no cap.",
                    0.0,
                ),
                Field(
                    "negative_slope",
                    "float",
                    0.0,
                    "Negative slope",
                    "Slope below the threshold (leaky ReLU).",
                    0.0,
                ),
                Field("threshold", "float", 0.0, "Threshold", "Where ReLU bends.", 0.0),
            ),
        ),
        LayerKind(
            "Rescaling",
            "rescaling",
            "Preprocessing",
            "Multiplies and shifts pixel values, e.g. 1/255 to map 0-255 to 0-1.",
            (
                Field("scale", "float", 1 / 255, "Scale", "Multiplier."),
                Field("offset", "float", 0.0, "Offset", "Added after scaling."),
            ),
        ),
        LayerKind(
            "ZeroPadding2D",
            "zero_padding2d",
            "Reshaping",
            "Adds rows and columns of zeros around the map.",
            (
                Field(
                    "padding",
                    "padding2d",
                    [[1, 1], [1, 1]],
                    "Padding",
                    "[[top, bottom], [left, right]].",
                ),
            ),
        ),
    )
}


# Not in LAYER_KINDS: a backbone is not one more palette entry but a block that
# may only start the stack (core.summary enforces that); the editor offers it
# on its own. It has a kind all the same, so specs, forms and undo treat its
# options like any layer's.
BACKBONE_KIND = LayerKind(
    BACKBONE_CLASS,
    "backbone",
    "Backbone",
    "A pretrained convnet from keras.applications (include_top=False), with its "
    "own input preprocessing; only as the first element of the stack.",
    (
        Field(
            "architecture",
            "choice",
            "VGG16",
            "Architecture",
            "Which keras.applications convnet.",
            choices=tuple(BACKBONES),
        ),
        Field(
            "weights",
            "text",
            WEIGHTS_IMAGENET,
            "Weights",
            "'imagenet' (downloaded once), 'none' (random initialisation) or the "
            "path of a local weights file.",
            choices=(WEIGHTS_IMAGENET, WEIGHTS_NONE),
        ),
        Field(
            "freeze",
            "choice",
            "all",
            "Freeze",
            "all: train only the head; from_layer: unfreeze from a named layer on; "
            "last_n: unfreeze the last N layers; none: train everything. "
            "BatchNormalization layers stay frozen in every case.",
            choices=FREEZE_MODES,
        ),
        Field(
            "unfreeze_from",
            "text",
            "",
            "Unfreeze from",
            "The first trainable layer with freeze 'from_layer'; empty means the "
            "architecture's top block (block5_conv1 for VGG16).",
            used_when=("freeze", "from_layer"),
        ),
        Field(
            "last_n",
            "int",
            0,
            "Last N layers",
            "How many of the last layers train with freeze 'last_n'.",
            0,
            used_when=("freeze", "last_n"),
        ),
        Field(
            "resize_to",
            "optional_pair",
            None,
            "Resize to",
            "[height, width] the images are resized to inside the model; empty "
            "keeps the input size. Larger sizes cost memory.",
            1,
        ),
    ),
)


def layer_kind(class_name: str) -> LayerKind:
    """Look up a kind, with a message listing what exists when it is unknown."""
    if class_name == BACKBONE_CLASS:
        return BACKBONE_KIND
    try:
        return LAYER_KINDS[class_name]
    except KeyError:
        raise OptionError(
            "class_name",
            f"unknown layer type {class_name!r}; known types: "
            f"{', '.join([*LAYER_KINDS, BACKBONE_CLASS])}",
        ) from None
