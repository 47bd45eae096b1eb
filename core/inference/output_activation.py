"""Whether a model's outputs are probabilities, decided once per model.

An app model ends in softmax (sigmoid for one unit). A model made elsewhere
may end in a plain ``Dense`` and output logits: shown as they are they read
"-222.5%", and a cross-entropy computed on them means nothing. The final
layer's activation in the model's config decides; where the config cannot
tell (an activation that is neither linear nor a probability, a custom layer,
an op), the outputs for one seeded random batch do: rows in [0, 1] that sum
to 1 (or one unit in [0, 1]) are probabilities already, anything else gets
softmax (sigmoid for one unit). ``predict``, ``evaluate`` and the Prediction
page all ask :func:`output_activation` and say its ``note`` once.

Example:
    >>> rule = output_activation(logits_model)  # doctest: +SKIP
    >>> rule.applied, rule(np.array([[0.0, 0.0]]))  # doctest: +SKIP
    ('softmax', array([[0.5, 0.5]]))
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np

PROBABILITY_ACTIVATIONS = frozenset({"softmax", "sigmoid"})
# The probe batch of the numeric check: its size when the model takes any size.
PROBE_SIZE = 32


@dataclass(frozen=True)
class OutputActivation:
    """What turns one model's outputs into probabilities.

    ``applied`` is ``"softmax"`` or ``"sigmoid"`` when the outputs are scores
    (logits) that this applies, None when they are probabilities already;
    ``decided_by`` is ``"config"`` (the final layer's activation) or
    ``"check"`` (the outputs of a probe batch).
    """

    applied: str | None
    decided_by: str

    def __call__(self, scores: np.ndarray) -> np.ndarray:
        """``scores`` as probabilities (unchanged when they are already)."""
        x = np.asarray(scores, dtype=np.float64)
        if self.applied == "sigmoid":
            e = np.exp(-np.abs(x))  # no overflow on either side
            return np.where(x >= 0, 1 / (1 + e), e / (1 + e))
        if self.applied == "softmax":
            e = np.exp(x - x.max(axis=-1, keepdims=True))
            return e / e.sum(axis=-1, keepdims=True)
        return x

    def note(self, source: str) -> str:
        """The one sentence to tell the user, or "" when nothing is applied."""
        if self.applied is None:
            return ""
        why = (
            "its last layer has no softmax or sigmoid"
            if self.decided_by == "config"
            else "its outputs are not probabilities"
        )
        return (
            f"{source} outputs scores, not probabilities ({why}): "
            f"{self.applied} is applied to them"
        )

    def wrap(self, model: keras.Model) -> keras.Model:
        """``model`` with the activation appended, for Keras's own predict and loss."""
        if self.applied is None:
            return model
        inputs = keras.Input(model.inputs[0].shape[1:])
        outputs = keras.layers.Activation(self.applied, name="probabilities")(
            model(inputs, training=False)
        )
        return keras.Model(inputs, outputs, name=model.name)


def output_activation(model: keras.Model) -> OutputActivation:
    """The rule for ``model``: its final activation, else a numeric check."""
    units = int(model.outputs[0].shape[-1])
    scores = "sigmoid" if units == 1 else "softmax"
    name = _final_activation(model)
    if name in PROBABILITY_ACTIVATIONS:
        return OutputActivation(None, "config")
    if name == "linear":
        return OutputActivation(scores, "config")
    probe = _probe_outputs(model)
    in_range = bool(np.all((probe >= 0) & (probe <= 1)))
    sums_to_one = units == 1 or bool(np.allclose(probe.sum(axis=-1), 1, atol=1e-3))
    return OutputActivation(None if in_range and sums_to_one else scores, "check")


def _final_activation(model: keras.Model) -> str | None:
    """The activation's name of the layer that makes the output, None if unknown."""
    history = getattr(model.outputs[0], "_keras_history", None)
    layer = history.operation if history is not None else None
    if isinstance(layer, keras.Model):  # a nested model (an exported one)
        return _final_activation(layer)
    if isinstance(layer, keras.layers.Softmax):
        return "softmax"
    activation = getattr(layer, "activation", None)
    if activation is None:
        return None
    name = keras.activations.serialize(activation)
    return name if isinstance(name, str) else None


def _probe_outputs(model: keras.Model) -> np.ndarray:
    """The model's outputs for two seeded random images in the 0-255 range."""
    _, h, w, c = model.inputs[0].shape
    shape = (2, h or PROBE_SIZE, w or PROBE_SIZE, c)
    batch = np.random.default_rng(0).uniform(0, 255, shape).astype(np.float32)
    return np.asarray(model(batch, training=False), dtype=np.float64)
