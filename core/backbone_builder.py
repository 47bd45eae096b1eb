"""Build a ``keras.applications`` backbone into a model, load its weights, freeze it.

The backbone is built on the model's own (preprocessed) input tensor, so its
inner layers become layers of the outer functional model: Grad-CAM and
activation views reach ``block5_conv3`` by name, as the design notes advise
("build the head on base.input/base.output rather than nesting the base").

Weights: ``"imagenet"`` is the app's own download into Keras's cache
(``core.weights_download``), then loaded like a local weights file (offline
use) through the public ``weights=`` argument; ``"none"`` leaves the random
initialisation. Pretrained weights are loaded into a standalone copy of the
architecture first and then copied layer by layer, so the extra preprocessing
layers in front never disturb Keras's weight matching. For BGR models (VGG16,
ResNet50) the RGB->BGR swap is folded into the first convolution's kernel
instead of being a layer: the model then takes RGB like every other.

Example:
    >>> model = build_model(preset("vgg16-cifar10-transfer"))  # core.model_builder
    >>> apply_freeze(model, spec, {"freeze": "from_layer",
    ...                            "unfreeze_from": "block5_conv1"})
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.backbones import (
    WEIGHTS_IMAGENET,
    WEIGHTS_NONE,
    backbone_info,
    effective_freeze,
    preprocessing_steps,
    unfrozen_layers,
    weights_problem,
)
from core.errors import DatasetError, DownloadCancelled, SpecError, WeightsError
from core.recipe.layer_names import stable_layer_names
from core.weights_download import imagenet_weights

if TYPE_CHECKING:
    import keras

    from core.spec import LayerSpec, ModelSpec


def make_base(
    architecture: str,
    input_tensor: Any = None,
    input_shape: tuple[int, int, int] | None = None,
    weights: str | None = None,
) -> keras.Model:
    """``keras.applications.<architecture>(include_top=False)`` with stable names.

    Keras gives a few layers automatic names (``conv2d_3`` in Xception,
    ``layer_normalization`` in ConvNeXt) that depend on what else the process
    built before; they are renamed ``<architecture>_<type>_<n>`` so the cached
    table, the editor and the built model always agree.
    """
    import keras

    ctor = getattr(keras.applications, architecture)
    base = ctor(
        include_top=False,
        weights=weights,
        input_tensor=input_tensor,
        input_shape=input_shape,
    )
    stable_layer_names(base, architecture)
    return base


def attach_backbone(
    inputs: keras.KerasTensor, layer: LayerSpec, channels: int
) -> keras.KerasTensor:
    """Preprocessing layers, then the backbone, on ``inputs``; returns its output."""
    import keras

    config = layer.config
    x = inputs
    for step in preprocessing_steps(layer.name, config, channels):
        if step.kind == "to_rgb":
            x = keras.layers.Concatenate(name=step.name)([x, x, x])
        else:  # Resizing or Rescaling, as "Export as Python" writes them
            kind = getattr(keras.layers, step.class_name)
            x = kind(**step.options, name=step.name)(x)
    base = make_base(config["architecture"], input_tensor=x)
    if config["weights"] != WEIGHTS_NONE:
        h, w = (int(d) for d in x.shape[1:3])
        _load_pretrained(base, config["architecture"], config["weights"], (h, w))
    return base.output


def _load_pretrained(
    base: keras.Model, architecture: str, weights: str, size: tuple[int, int]
) -> None:
    problem = weights_problem(weights)
    if problem:
        raise WeightsError(problem)
    path = _weights_file(architecture, weights)
    try:
        source = make_base(architecture, input_shape=(*size, 3), weights=str(path))
    except Exception as exc:  # h5py and Keras raise their own kinds
        raise WeightsError(
            f"the weights file {path} does not fit {architecture} "
            f"(include_top=False): {exc}"
        ) from exc
    targets = [lyr for lyr in base.layers if lyr.weights]
    sources = [lyr for lyr in source.layers if lyr.weights]
    for target, src in zip(targets, sources, strict=True):
        target.set_weights(src.get_weights())
    if backbone_info(architecture).bgr:
        # The weights expect BGR; reversing the kernel's input-channel axis makes
        # conv(rgb) equal conv(bgr) with the original kernel, at no cost.
        first = next(t for t in targets if type(t).__name__ == "Conv2D")
        kernel, *rest = first.get_weights()
        first.set_weights([kernel[:, :, ::-1, :], *rest])


def _weights_file(architecture: str, weights: str) -> Path:
    """The local file ``weights`` names: ``imagenet`` is downloaded if missing."""
    if weights != WEIGHTS_IMAGENET:
        return Path(weights).expanduser()  # as weights_problem read it
    try:
        return imagenet_weights(architecture)
    except DownloadCancelled as exc:  # the user's Stop, not a network problem
        raise WeightsError(f"{exc}; start again to download it") from None
    except DatasetError as exc:
        raise WeightsError(
            f"could not download the ImageNet weights for {architecture} "
            f"(offline?): {exc}. Point the backbone's weights at a local "
            "weights file instead, or use 'none' for random initialisation "
            "with the backbone unfrozen (freeze 'none')"
        ) from exc


def backbone_layer_names(model: keras.Model, spec: ModelSpec) -> list[str]:
    """The backbone's own layers in ``model`` (built from ``spec``), in order.

    Empty when the spec has no backbone. Preprocessing layers, the input, the
    rest of the stack and the head are excluded.
    """
    first = spec.backbone
    if first is None:
        return []
    others = {s.name for s in preprocessing_steps(first.name, first.config, 1)}
    others |= {layer.name for layer in spec.layers[1:]} | {spec.head.layer().name}
    return [
        layer.name
        for layer in model.layers
        if layer.name not in others and type(layer).__name__ != "InputLayer"
    ]


def freeze_plan(
    model: keras.Model, spec: ModelSpec, freeze: Mapping[str, Any] | None = None
) -> dict[str, bool]:
    """Which backbone layers of ``model`` would train, by name, changing nothing.

    Lets training check phase 2's setting before phase 1 runs, so a mistyped
    layer name costs a message at Start, not the whole first phase.

    Raises:
        SpecError: the setting names a layer the backbone does not have.
    """
    if spec.backbone is None:
        return {}
    names = backbone_layer_names(model, spec)
    classes = [type(model.get_layer(n)).__name__ for n in names]
    setting = effective_freeze({**spec.backbone.config, **(freeze or {})})
    try:
        unfrozen = set(unfrozen_layers(names, classes, setting))  # never BN
    except ValueError as exc:
        raise SpecError(str(exc)) from None
    return {name: name in unfrozen for name in names}


def apply_freeze(
    model: keras.Model, spec: ModelSpec, freeze: Mapping[str, Any] | None = None
) -> list[str]:
    """Set ``trainable`` on the backbone's layers; return the unfrozen ones.

    ``freeze`` defaults to the spec's own backbone options (``freeze``,
    ``unfreeze_from``, ``last_n``); training's phase 2 passes its own.
    BatchNormalization layers are always frozen, so they run in inference mode.
    Recompile the model afterwards: Keras fixes the trainable set at compile.
    """
    plan = freeze_plan(model, spec, freeze)
    for name, trainable in plan.items():
        model.get_layer(name).trainable = trainable
    return [name for name, trainable in plan.items() if trainable]
