"""The script's ``build_model()``: the app's model layer by layer, and its freezing.

The backbone's freezing is written out as layer names computed here with the
app's own rules (``core.backbones.unfrozen_layers``), so the script needs no
copy of those rules: phase 1 trains ``UNFROZEN``, phase 2 ``FINE_TUNE_UNFROZEN``.
"""

from __future__ import annotations

from core.backbones import (
    WEIGHTS_NONE,
    backbone_info,
    backbone_size,
    effective_freeze,
    preprocessing_steps,
    unfrozen_layers,
)
from core.errors import SpecError
from core.inference.python_export.snippets import WIDTH, assignment
from core.spec import LayerSpec, ModelSpec
from core.training.config import TrainingConfig


def model_code(spec: ModelSpec, training: TrainingConfig) -> str:
    """``build_model()`` and, with a backbone, its naming and freezing helpers."""
    stack = list(spec.layers)
    backbone = stack.pop(0) if spec.backbone else None
    lines = _backbone_lines(spec, backbone) if backbone else []
    head = spec.head.layer()
    for layer in (*stack, head):
        config = layer.keras_config()
        if layer is head and training.precision != "float32":
            config["dtype"] = "float32"  # a float16 softmax loses small probabilities
        lines.append(_layer_call(layer.class_name, config))
    h, w, c = spec.input.shape
    freeze = "\n    freeze(model, UNFROZEN)" if backbone else ""
    body = "\n".join(lines)
    build = f'''def build_model():
    """The project's model; the same layer names and options as in the app."""
    inputs = keras.Input(shape=({h}, {w}, {c}), name="image")
    x = inputs
{body}
    model = keras.Model(inputs, x, name={spec.name!r}){freeze}
    return model
'''
    return (_freezing_code(spec, backbone) + "\n\n" + build) if backbone else build


def fine_tune_unfrozen(spec: ModelSpec, training: TrainingConfig) -> list[str] | None:
    """The backbone layers phase 2 trains, or None when there is no phase 2.

    Raises:
        SpecError: the fine-tuning setting names a layer the backbone lacks.
    """
    if not training.fine_tune or spec.backbone is None:
        return None
    return _unfrozen(spec, {**spec.backbone.config, **training.fine_tune_options()})


def _layer_call(class_name: str, config: dict) -> str:
    """``x = keras.layers.Kind(options)(x)``."""
    args = [f"{key}={value!r}" for key, value in config.items()]
    return _call(f"x = keras.layers.{class_name}", args, "(x)")


def _call(callee: str, args: list[str], tail: str = "") -> str:
    """A call laid out as ruff format would: one line, one indented line of
    arguments, or one argument a line."""
    line = f"    {callee}({', '.join(args)}){tail}"
    if len(line) <= WIDTH:
        return line
    inner = f"        {', '.join(args)}"
    if len(inner) > WIDTH:
        inner = ",\n".join(f"        {arg}" for arg in args) + ","
    return f"    {callee}(\n{inner}\n    ){tail}"


def _freezing_code(spec: ModelSpec, backbone: LayerSpec) -> str:
    own = {"image", spec.head.layer().name}
    own |= {layer.name for layer in spec.layers[1:]}
    own |= {s.name for s in preprocessing_steps(backbone.name, backbone.config, 1)}
    unfrozen = _unfrozen(spec, backbone.config)
    return f'''# The model's layers that are not the backbone's own.
{assignment("OWN_LAYERS", sorted(own))}
# The backbone layers that train (BatchNormalization always stays frozen).
{assignment("UNFROZEN", unfrozen)}


def freeze(model, unfrozen):
    """Train only the backbone layers named in ``unfrozen``; recompile after."""
    for layer in model.layers:
        if layer.name not in OWN_LAYERS:
            layer.trainable = layer.name in unfrozen
'''


def _unfrozen(spec: ModelSpec, config: dict) -> list[str]:
    """The backbone's trainable layers for a freeze setting, from its layer table."""
    from core.backbone_table import backbone_table

    h, w = backbone_size(config, spec.input.height, spec.input.width)
    table = backbone_table(config["architecture"], h, w)
    try:
        return unfrozen_layers(
            [r.name for r in table.rows],
            [r.class_name for r in table.rows],
            effective_freeze(config),
        )
    except ValueError as exc:
        raise SpecError(str(exc)) from None


def _backbone_lines(spec: ModelSpec, layer: LayerSpec) -> list[str]:
    """The backbone as the app builds it: stock preprocessing layers, then the
    ``keras.applications`` base on them, with its weights."""
    config = layer.config
    arch = config["architecture"]
    lines = [f"    # Backbone {layer.name!r}: keras.applications.{arch}"]
    for step in preprocessing_steps(layer.name, config, spec.input.channels):
        if step.kind == "to_rgb":
            lines.append(
                f"    x = keras.layers.Concatenate(name={step.name!r})([x, x, x])"
            )
        else:
            options = {**step.options, "name": step.name}
            lines.append(_layer_call(step.class_name, options))
    weights = None if config["weights"] == WEIGHTS_NONE else config["weights"]
    lines += [
        _call(
            f"base = keras.applications.{arch}",
            ["include_top=False", f"weights={weights!r}", "input_tensor=x"],
        ),
        f"    stable_layer_names(base, {arch!r})  # the app's layer names",
    ]
    if weights is not None and backbone_info(arch).bgr:
        lines += [
            "    # The weights expect BGR: reverse the first kernel's input channels.",
            "    first = next(l for l in base.layers if isinstance(l, "
            "keras.layers.Conv2D))",
            "    kernel, bias = first.get_weights()",
            "    first.set_weights([kernel[:, :, ::-1, :], bias])",
        ]
    lines.append("    x = base.output")
    return lines
