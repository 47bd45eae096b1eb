"""A model at a calibration temperature, as one Keras graph of built-in layers.

The app's head is ``Dense(units, activation="softmax")`` (sigmoid for one
unit). Calibrated, it is rebuilt as ``Dense(linear)`` (the same weights)
``-> Rescaling(1/T) -> Activation("softmax")``: the logits divided by the
temperature, then the same activation (``core.calibration`` fits T). With
test-time augmentation the temperature applies to each view's logits before
the views' probabilities are averaged (``core.recipe.tta.average_views``).
Only stock layers, so the file loads with plain ``keras.models.load_model``
in safe mode (no ``Lambda``, no custom class).

Example:
    >>> calibrated = calibrated_model(model, 1.7, "flip")  # doctest: +SKIP
    >>> calibrated.predict(images)  # mean of softmax(view logits / 1.7)
"""

from __future__ import annotations

import keras

from core.errors import WorkbenchError
from core.recipe.tta import TTA_MODES, tta_model

PROBABILITY_ACTIVATIONS = ("softmax", "sigmoid")


def logits_model(model: keras.Model) -> tuple[keras.Model, str]:
    """``model`` ending in its logits, and the activation that made probabilities.

    The final layer's activation is taken off: a layer with a softmax or
    sigmoid ``activation`` (the app's Dense head) is rebuilt linear with the
    same weights; a final ``Softmax`` or ``Activation`` layer is dropped; a
    linear final layer already gives logits (softmax, or sigmoid for one unit,
    turns them into probabilities).

    Raises:
        WorkbenchError: a model whose final layer is none of these (a nested
            model, a custom layer): its logits cannot be found.
    """
    history = getattr(model.outputs[0], "_keras_history", None)
    layer = history.operation if history is not None else None
    units = int(model.outputs[0].shape[-1])
    scores = "sigmoid" if units == 1 else "softmax"
    if isinstance(layer, keras.layers.Softmax):
        return keras.Model(model.inputs, layer.input, name=f"{model.name}_logits"), (
            "softmax"
        )
    name = _activation_name(layer)
    if name == "linear" and not isinstance(layer, keras.layers.Activation):
        return model, scores
    if name in PROBABILITY_ACTIVATIONS and isinstance(layer, keras.layers.Activation):
        return keras.Model(model.inputs, layer.input, name=f"{model.name}_logits"), name
    if name in PROBABILITY_ACTIVATIONS:
        config = {**layer.get_config(), "activation": "linear", "name": "logits"}
        linear = type(layer).from_config(config)
        outputs = linear(layer.input)
        linear.set_weights(layer.get_weights())
        return keras.Model(model.inputs, outputs, name=f"{model.name}_logits"), name
    raise WorkbenchError(
        f"{model.name}: its last layer is not a softmax or sigmoid head, so its "
        "logits cannot be found to calibrate"
    )


def calibrated_model(
    model: keras.Model,
    temperature: float,
    tta: str = "none",
    input_shape: tuple[int, int, int] | None = None,
) -> keras.Model:
    """``model`` outputting probabilities at ``temperature``, over ``tta``'s views.

    ``input_shape`` is ``core.recipe.tta.tta_model``'s.

    Raises:
        WorkbenchError: a temperature that is not positive, an unknown TTA
            mode, a model whose logits cannot be found, or one the views
            cannot wrap.
    """
    if not temperature > 0:
        raise WorkbenchError(f"a temperature must be above 0, not {temperature}")
    if tta not in TTA_MODES:
        raise WorkbenchError(
            f"unknown test-time augmentation {tta!r}: choose {', '.join(TTA_MODES)}"
        )
    logits, activation = logits_model(model)
    try:
        return tta_model(
            logits, tta, activation, float(temperature), input_shape=input_shape
        )
    except ValueError as exc:
        raise WorkbenchError(str(exc)) from None


def _activation_name(layer: object) -> str | None:
    activation = getattr(layer, "activation", None)
    if activation is None:
        return None
    name = keras.activations.serialize(activation)
    return name if isinstance(name, str) else None
