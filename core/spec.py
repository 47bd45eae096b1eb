"""Model specification: an input, an ordered stack of layers, and a classifier head.

Pure data with no Keras import, so the editor can validate and summarise on every
keystroke. Layers serialise as Keras does, ``{"class_name": ..., "config": ...}``,
which keeps project files readable by anyone who knows Keras.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from core.backbones import (
    BACKBONE_CLASS,
    architecture_changes,
    default_name,
    has_default_name,
)
from core.errors import ProjectFormatError
from core.layers import APP_OPTIONS, WHITENING_FROZEN, OptionError, layer_kind

BinaryHead = Literal["sigmoid", "softmax"]
HEAD_NAME = "classifier"
INPUT_NAME = "image"
_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$")


@dataclass(frozen=True)
class InputSpec:
    """Image size the model takes: height, width and channels (1 gray, 3 RGB)."""

    height: int = 32
    width: int = 32
    channels: int = 3

    @property
    def shape(self) -> tuple[int, int, int]:
        return (self.height, self.width, self.channels)

    def problems(self) -> list[str]:
        out = []
        for name in ("height", "width"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                out.append(f"input {name} must be a whole number of at least 1")
        if self.channels not in (1, 3, 4):
            out.append("input channels must be 1 (grayscale), 3 (RGB) or 4 (RGBA)")
        return out


@dataclass(frozen=True)
class LayerSpec:
    """One layer: its Keras class name, a unique readable name, and its options.

    ``config`` holds every option of the kind (defaults filled in), never the
    name; use :meth:`create` to get a normalised spec.
    """

    class_name: str
    name: str
    config: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def create(
        cls, class_name: str, name: str, config: Mapping[str, Any] | None = None
    ) -> LayerSpec:
        """Build a spec with defaults filled in; raises ValueError on bad options."""
        kind = layer_kind(class_name)
        return cls(class_name, name, kind.normalize_config(config or {}))

    def with_options(self, **changes: Any) -> LayerSpec:
        """A copy with some options changed (validated), for undoable edits.

        A backbone given a new ``architecture`` also drops its freeze options
        that name the old one's layers (``core.backbones.architecture_changes``).
        """
        if self.class_name == BACKBONE_CLASS:
            changes = architecture_changes(self.config, changes)
        merged = {**self.config, **changes}
        return replace(
            self, config=layer_kind(self.class_name).normalize_config(merged)
        )

    def renamed(self, name: str) -> LayerSpec:
        return replace(self, name=name)

    def keras_config(self) -> dict[str, Any]:
        """Arguments for ``keras.layers.<class_name>(**...)``: the options the
        app applies itself (``core.layers.APP_OPTIONS``) are left out, and a
        frozen whitening kernel is built not trainable, as the summary counts it."""
        config = _without(_deep_copy(self.config), APP_OPTIONS)
        if self.config.get("init") == WHITENING_FROZEN:
            config["trainable"] = False
        return {"name": self.name, **config}

    def to_dict(self) -> dict[str, Any]:
        """As Keras serialises a layer, plus any app option not at its default."""
        config = {"name": self.name, **_deep_copy(self.config)}
        defaults = {k: v for k, v in APP_OPTIONS.items() if config.get(k) == v}
        return {"class_name": self.class_name, "config": _without(config, defaults)}


@dataclass(frozen=True)
class HeadSpec:
    """The classifier appended after the stack, derived from the class count.

    Two classes get one sigmoid unit by default (binary cross-entropy, as in the
    cats-vs-dogs tutorial); ``binary="softmax"`` switches to two softmax units.
    """

    num_classes: int = 10
    binary: BinaryHead = "sigmoid"

    @property
    def units(self) -> int:
        return (
            1
            if self.num_classes == 2 and self.binary == "sigmoid"
            else self.num_classes
        )

    @property
    def activation(self) -> str:
        return "sigmoid" if self.units == 1 else "softmax"

    def layer(self) -> LayerSpec:
        return LayerSpec.create(
            "Dense", HEAD_NAME, {"units": self.units, "activation": self.activation}
        )


@dataclass(frozen=True)
class ModelSpec:
    """Everything needed to build the Keras model."""

    input: InputSpec = field(default_factory=InputSpec)
    layers: tuple[LayerSpec, ...] = ()
    head: HeadSpec = field(default_factory=HeadSpec)
    name: str = "model"

    @property
    def backbone(self) -> LayerSpec | None:
        """The ``Backbone`` layer starting the stack, if there is one."""
        if self.layers and self.layers[0].class_name == BACKBONE_CLASS:
            return self.layers[0]
        return None

    @property
    def whitened(self) -> LayerSpec | None:
        """The convolution that starts from patch whitening, if one does
        (``core.recipe.whitening``; ``core.summary`` allows one at most)."""
        inits = ((s, s.config.get("init", APP_OPTIONS["init"])) for s in self.layers)
        return next((s for s, init in inits if init != APP_OPTIONS["init"]), None)

    def with_backbone_options(self, **changes: Any) -> ModelSpec:
        """A copy with the backbone's options changed, e.g. its freezing::

            spec.with_backbone_options(freeze="from_layer",
                                       unfreeze_from="block5_conv1")

        A new architecture also renames a backbone still named after the old
        one (``vgg16`` becomes ``resnet50``, kept unique); see
        :meth:`LayerSpec.with_options` for the freeze options it resets.

        Raises:
            ValueError: the spec has no backbone, or an option is invalid.
        """
        old = self.backbone
        if old is None:
            raise ValueError("this model has no backbone")
        first = old.with_options(**changes)
        arch, new_arch = old.config["architecture"], first.config["architecture"]
        if new_arch != arch and has_default_name(old.name, arch):
            taken = [x.name for x in self.layers[1:]]
            first = first.renamed(backbone_name(new_arch, taken))
        return replace(self, layers=(first, *self.layers[1:]))

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "input": {
                "height": self.input.height,
                "width": self.input.width,
                "channels": self.input.channels,
            },
            "layers": [layer.to_dict() for layer in self.layers],
            "head": {"num_classes": self.head.num_classes, "binary": self.head.binary},
        }

    @classmethod
    def from_dict(cls, data: Any, where: str = "model") -> ModelSpec:
        """Parse and fully validate a serialised spec.

        Raises:
            ProjectFormatError: naming the first bad field, e.g.
                ``model.layers[2].config.rate``.
        """
        d = _mapping(data, where)
        name = _string(d.get("name", "model"), f"{where}.name")
        inp = _mapping(d.get("input"), f"{where}.input")
        input_spec = InputSpec(
            _int(inp.get("height"), f"{where}.input.height", 1),
            _int(inp.get("width"), f"{where}.input.width", 1),
            _int(inp.get("channels"), f"{where}.input.channels", 1),
        )
        for problem in input_spec.problems():
            raise ProjectFormatError(f"{where}.input", problem)
        raw_layers = d.get("layers")
        if not isinstance(raw_layers, list):
            raise ProjectFormatError(f"{where}.layers", "must be a list of layers")
        layers = tuple(
            _layer_from_dict(item, f"{where}.layers[{i}]")
            for i, item in enumerate(raw_layers)
        )
        seen = {HEAD_NAME, INPUT_NAME}  # a set: a 600,000-layer stack stays linear
        for i, layer in enumerate(layers):
            if layer.name in seen:
                raise ProjectFormatError(
                    f"{where}.layers[{i}].config.name",
                    f"name {layer.name!r} is used twice",
                )
            seen.add(layer.name)
        head = _mapping(d.get("head"), f"{where}.head")
        binary = head.get("binary", "sigmoid")
        if binary not in ("sigmoid", "softmax"):
            raise ProjectFormatError(
                f"{where}.head.binary",
                f"must be 'sigmoid' or 'softmax', not {binary!r}",
            )
        head_spec = HeadSpec(
            _int(head.get("num_classes"), f"{where}.head.num_classes", 2), binary
        )
        return cls(input_spec, layers, head_spec, name)


def unique_name(base: str, taken: Sequence[str]) -> str:
    """``conv2d_1``, ``conv2d_2``, ...: the first free readable name for ``base``."""
    used = set(taken) | {HEAD_NAME, INPUT_NAME}
    i = 1
    while f"{base}_{i}" in used:
        i += 1
    return f"{base}_{i}"


def backbone_name(architecture: str, taken: Sequence[str]) -> str:
    """A fresh backbone's name: ``vgg16``, or ``vgg16_1`` ... when that is taken."""
    base = default_name(architecture)
    used = set(taken) | {HEAD_NAME, INPUT_NAME}
    return base if base not in used else unique_name(base, taken)


def valid_layer_name(name: str) -> bool:
    """Names Keras accepts and that read well in Grad-CAM layer pickers."""
    return bool(_NAME_RE.match(name)) and name not in (HEAD_NAME, INPUT_NAME)


def _layer_from_dict(item: Any, where: str) -> LayerSpec:
    d = _mapping(item, where)
    class_name = d.get("class_name")
    if not isinstance(class_name, str):
        raise ProjectFormatError(f"{where}.class_name", "missing or not a string")
    config = dict(_mapping(d.get("config", {}), f"{where}.config"))
    name = config.pop("name", None)
    if not isinstance(name, str) or not valid_layer_name(name):
        raise ProjectFormatError(
            f"{where}.config.name",
            f"{name!r} is not a valid layer name (letters, digits, _ . -)",
        )
    try:
        kind = layer_kind(class_name)
    except ValueError as exc:
        raise ProjectFormatError(f"{where}.class_name", str(exc)) from None
    try:
        return LayerSpec(class_name, name, kind.normalize_config(config))
    except OptionError as exc:
        raise ProjectFormatError(f"{where}.config.{exc.option}", str(exc)) from None


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ProjectFormatError(where, "missing or not an object")
    return value


def _string(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise ProjectFormatError(where, "must be a string")
    return value


def _int(value: Any, where: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProjectFormatError(where, f"must be a whole number, not {value!r}")
    if value < minimum:
        raise ProjectFormatError(where, f"must be at least {minimum}, not {value}")
    return value


def _without(config: dict[str, Any], keys: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in config.items() if k not in keys}


def _deep_copy(config: Mapping[str, Any]) -> dict[str, Any]:
    return {
        k: [list(v) if isinstance(v, list) else v for v in val]
        if isinstance(val, list)
        else val
        for k, val in config.items()
    }
