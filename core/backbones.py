"""Pretrained convnets from ``keras.applications`` as the first element of a stack.

Pure data and pure planning, no Keras import, so the editor can validate a
backbone and show its freezing on every keystroke: the catalogue (constructor
name, minimum input size, preprocessing mode, BGR or not, the top block users
fine-tune from), the options of a ``Backbone`` layer in a spec, the parameter-
free layers that prepare its input, and which inner layers a freeze setting
leaves trainable. Building lives in ``core.backbone_builder``; shapes and counts
come from ``core.backbone_table``.

A backbone is a ``LayerSpec`` whose class name is ``"Backbone"``::

    LayerSpec.create("Backbone", "vgg16", {"architecture": "VGG16",
                     "weights": "imagenet", "freeze": "all"})

Example:
    >>> unfrozen_layers(["block4_pool", "block5_conv1", "block5_bn"],
    ...                 ["MaxPooling2D", "Conv2D", "BatchNormalization"],
    ...                 {"freeze": "from_layer", "unfreeze_from": "block5_conv1"})
    ['block5_conv1']
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BACKBONE_CLASS = "Backbone"
FREEZE_MODES = ("all", "from_layer", "last_n", "none")
WEIGHTS_IMAGENET = "imagenet"
WEIGHTS_NONE = "none"
# BatchNormalization inside a backbone always stays frozen, so it runs in
# inference mode with its ImageNet statistics in both phases (Keras's
# transfer-learning guide: unfreezing it would wreck what the model learned).
ALWAYS_FROZEN = frozenset({"BatchNormalization"})


@dataclass(frozen=True)
class BackboneInfo:
    """What the app needs to know about one ``keras.applications`` convnet.

    ``preprocessing`` is Keras's mode for ``preprocess_input``: ``caffe``
    (channel means subtracted, BGR order), ``tf`` (scaled to [-1, 1]),
    ``torch`` (scaled to [0, 1], then ImageNet mean/std), or ``none`` when the
    model already contains its own preprocessing (EfficientNet, ConvNeXt).
    All of them take raw 0-255 pixels once ours is applied.
    """

    architecture: str
    min_size: int
    preprocessing: str
    bgr: bool
    default_unfreeze_from: str
    description: str


BACKBONES: dict[str, BackboneInfo] = {
    info.architecture: info
    for info in (
        BackboneInfo(
            "VGG16",
            32,
            "caffe",
            True,
            "block5_conv1",
            "13 3x3 convolutions in five blocks (the tutorials' transfer model).",
        ),
        BackboneInfo(
            "ResNet50",
            32,
            "caffe",
            True,
            "conv5_block1_1_conv",
            "50 layers with residual connections.",
        ),
        BackboneInfo(
            "MobileNetV2",
            32,
            "tf",
            False,
            "block_16_expand",
            "Small and fast: inverted residual blocks of depthwise convolutions.",
        ),
        BackboneInfo(
            "Xception",
            71,
            "tf",
            False,
            "block14_sepconv1",
            "Depthwise-separable convolutions throughout.",
        ),
        BackboneInfo(
            "EfficientNetB0",
            32,
            "none",
            False,
            "block7a_expand_conv",
            "Compound-scaled mobile blocks with squeeze-and-excitation.",
        ),
        BackboneInfo(
            "ConvNeXtTiny",
            32,
            "none",
            False,
            "convnext_tiny_stage_3_block_0_depthwise_conv",
            "A modernised ResNet with large depthwise kernels and LayerNorm.",
        ),
    )
}

# Keras's preprocess_input constants, RGB order (BGR is folded into the kernel).
_CAFFE_MEAN = (123.68, 116.779, 103.939)
_TORCH_MEAN = (0.485, 0.456, 0.406)
_TORCH_STD = (0.229, 0.224, 0.225)


def backbone_info(architecture: str) -> BackboneInfo:
    """The catalogue entry, or ValueError listing the architectures there are."""
    try:
        return BACKBONES[architecture]
    except KeyError:
        raise ValueError(
            f"unknown backbone {architecture!r}; available: {', '.join(BACKBONES)}"
        ) from None


def is_backbone(class_name: str) -> bool:
    return class_name == BACKBONE_CLASS


def default_name(architecture: str) -> str:
    """The readable name a fresh backbone layer gets: ``vgg16`` for VGG16."""
    return architecture.lower()


def has_default_name(name: str, architecture: str) -> bool:
    """Whether ``name`` is what the app would name a fresh ``architecture``.

    ``vgg16``, or ``vgg16_2`` when that was taken; a name the user typed is kept
    when the architecture changes.
    """
    base = re.escape(default_name(architecture))
    return re.fullmatch(rf"{base}(_\d+)?", name) is not None


def architecture_changes(
    config: Mapping[str, Any], changes: Mapping[str, Any]
) -> dict[str, Any]:
    """``changes`` plus what a switch of architecture must reset.

    Layer names differ between architectures, so a new ``architecture`` clears
    ``unfreeze_from`` (its default is then the new architecture's top block),
    sets ``last_n`` back to 0 and turns ``from_layer`` freezing into ``all``.
    Options given in ``changes`` win; unchanged architectures change nothing.
    """
    new = changes.get("architecture")
    if new is None or new == config.get("architecture"):
        return dict(changes)
    reset: dict[str, Any] = {"unfreeze_from": "", "last_n": 0}
    if config.get("freeze") == "from_layer":
        reset["freeze"] = "all"
    return {**reset, **changes}


def weights_problem(weights: str) -> str | None:
    """Why ``weights`` cannot be loaded, checked while editing (None: fine).

    ``imagenet`` and ``none`` always work (a failed download is only known
    when building); anything else must be an existing local file.
    """
    if weights in (WEIGHTS_IMAGENET, WEIGHTS_NONE):
        return None
    if not Path(weights).expanduser().is_file():
        return (
            f"the weights file {weights} does not exist: choose another file, "
            f"'{WEIGHTS_IMAGENET}', or '{WEIGHTS_NONE}' for random initialisation"
        )
    return None


def describe_weights(weights: str) -> str:
    """What the user is told about where the backbone's weights come from."""
    if weights == WEIGHTS_IMAGENET:
        return (
            "ImageNet weights (downloaded into the Keras cache the first time "
            "the model is built)"
        )
    if weights == WEIGHTS_NONE:
        return "no pretrained weights: the backbone starts from random initialisation"
    return f"weights from the local file {weights}"


def backbone_size(
    config: Mapping[str, Any], height: int, width: int
) -> tuple[int, int]:
    """The image size the backbone itself sees: ``resize_to`` or the input's."""
    resize = config.get("resize_to")
    return (int(resize[0]), int(resize[1])) if resize else (height, width)


@dataclass(frozen=True)
class PrepStep:
    """One stock, parameter-free layer in front of the backbone.

    ``kind`` is ``to_rgb`` (Concatenate of the gray channel three times),
    ``resize`` (Resizing) or ``rescale`` (Rescaling with per-channel scale and
    offset). None has weights, none is a Lambda, so exports load with plain
    ``keras.models.load_model(..., safe_mode=True)``.
    """

    name: str
    class_name: str
    kind: str
    options: Mapping[str, Any]


def preprocessing_steps(
    name: str, config: Mapping[str, Any], channels: int
) -> list[PrepStep]:
    """The layers that turn raw 0-255 images into what the backbone expects."""
    steps = []
    if channels == 1:
        steps.append(PrepStep(f"{name}_to_rgb", "Concatenate", "to_rgb", {}))
    if config.get("resize_to"):
        h, w = config["resize_to"]
        steps.append(
            PrepStep(f"{name}_resize", "Resizing", "resize", {"height": h, "width": w})
        )
    mode = backbone_info(config["architecture"]).preprocessing
    scale_offset = _scale_offset(mode)
    if scale_offset is not None:
        scale, offset = scale_offset
        steps.append(
            PrepStep(
                f"{name}_preprocess",
                "Rescaling",
                "rescale",
                {"scale": scale, "offset": offset},
            )
        )
    return steps


def _scale_offset(mode: str) -> tuple[Any, Any] | None:
    """``x * scale + offset`` equal to Keras's ``preprocess_input`` for ``mode``."""
    if mode == "caffe":
        return 1.0, [-m for m in _CAFFE_MEAN]
    if mode == "tf":
        return 1 / 127.5, -1.0
    if mode == "torch":
        scale = [1 / (255 * s) for s in _TORCH_STD]
        offset = [-m / s for m, s in zip(_TORCH_MEAN, _TORCH_STD, strict=True)]
        return scale, offset
    return None


def effective_freeze(config: Mapping[str, Any]) -> dict[str, Any]:
    """The freeze options with an empty ``unfreeze_from`` resolved to the default."""
    out = {
        "freeze": config.get("freeze", "all"),
        "unfreeze_from": config.get("unfreeze_from", ""),
        "last_n": int(config.get("last_n", 0)),
    }
    if not out["unfreeze_from"] and "architecture" in config:
        info = backbone_info(config["architecture"])
        out["unfreeze_from"] = info.default_unfreeze_from
    return out


def freeze_problem(
    backbone: Mapping[str, Any],
    freeze: Mapping[str, Any],
    names: Sequence[str],
    class_names: Sequence[str],
) -> str | None:
    """Why ``freeze`` cannot apply to a backbone with these layers, else None.

    Pure, so the GUI can check phase 2's setting against a cached layer table
    before TensorFlow is even loaded.
    """
    try:
        unfrozen_layers(names, class_names, effective_freeze({**backbone, **freeze}))
    except ValueError as exc:
        return str(exc)
    return None


def unfrozen_layers(
    names: Sequence[str], class_names: Sequence[str], freeze: Mapping[str, Any]
) -> list[str]:
    """The backbone's inner layers a freeze setting leaves trainable, in order.

    ``freeze["freeze"]`` is ``all`` (nothing trains), ``none`` (everything),
    ``from_layer`` (``unfreeze_from`` and every layer after it, the tutorial's
    ``block5_conv1``) or ``last_n`` (the last ``last_n`` layers). BatchNormalization
    layers are never in the list (see ``ALWAYS_FROZEN``).

    Raises:
        ValueError: ``unfreeze_from`` is not a layer of this backbone.
    """
    mode = freeze.get("freeze", "all")
    start = len(names)
    if mode == "none":
        start = 0
    elif mode == "from_layer":
        layer = freeze.get("unfreeze_from", "")
        if layer not in names:
            raise ValueError(
                f"the backbone has no layer {layer!r} to unfreeze from; pick one of "
                "its layers, e.g. " + ", ".join(list(names)[-3:])
            )
        start = list(names).index(layer)
    elif mode == "last_n":
        start = max(0, len(names) - int(freeze.get("last_n", 0)))
    return [
        n
        for n, c in zip(names[start:], class_names[start:], strict=True)
        if c not in ALWAYS_FROZEN
    ]
