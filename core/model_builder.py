"""Build a functional Keras model from a ModelSpec.

Functional (not Sequential) on purpose: ``model.inputs`` and every
``get_layer(name).output`` exist, which Grad-CAM and activation views need.
Layer names come from the spec, so they are stable and readable.

Example:
    >>> from core.presets import preset
    >>> build_model(preset("mnist-convnet")).count_params()
    93322
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.backbone_builder import apply_freeze, attach_backbone
from core.errors import SpecError
from core.spec import INPUT_NAME, ModelSpec
from core.summary import summarize

if TYPE_CHECKING:
    import keras


def build_model(spec: ModelSpec, float32_output: bool = False) -> keras.Model:
    """Return an uncompiled ``keras.Model`` for ``spec``.

    ``float32_output`` keeps the classifier in float32 under a mixed-precision
    policy, as the Keras guide advises: a float16 softmax loses small
    probabilities and makes the loss unstable.

    A backbone first in the stack is built from ``keras.applications`` with its
    preprocessing, weights (``core.backbone_builder``) and freezing applied.

    Raises:
        SpecError: the spec is invalid; the message names the first bad layer
            and says how to fix it (nothing is handed to Keras in that case).
        WeightsError: a backbone's pretrained weights cannot be had (offline,
            or a local file that is missing or does not fit).
    """
    summary = summarize(spec)
    if not summary.is_valid:
        index, name, message = summary.errors[0]
        where = "input" if index < 0 else f"layer {index + 1} ({name})"
        raise SpecError(f"{where}: {message}")

    import keras

    inputs = keras.Input(shape=spec.input.shape, name=INPUT_NAME)
    x = inputs
    head = spec.head.layer()
    stack = list(spec.layers)
    if spec.backbone is not None:
        # Built on our own input, so its layers are the model's layers (Grad-CAM
        # and activations reach them); then frozen as the spec says.
        x = attach_backbone(inputs, stack.pop(0), spec.input.channels)
    for layer in (*stack, head):
        config = layer.keras_config()
        if layer is head and float32_output:
            config["dtype"] = "float32"
        x = getattr(keras.layers, layer.class_name)(**config)(x)
    model = keras.Model(inputs, x, name=spec.name)
    apply_freeze(model, spec)
    return model
