"""The probability rule: a model's final activation, else a numeric check."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from core.inference.export import serving_model
from core.inference.output_activation import OutputActivation, output_activation


def head(units: int, activation: str | None, extra=None) -> keras.Model:
    keras.utils.set_random_seed(0)
    layers = [
        keras.Input((8, 8, 3)),
        keras.layers.Flatten(),
        keras.layers.Dense(units, activation=activation),
    ]
    return keras.Sequential(layers + ([extra] if extra is not None else []))


@pytest.mark.parametrize(
    ("model", "applied", "decided_by"),
    [
        (lambda: head(3, "softmax"), None, "config"),
        (lambda: head(1, "sigmoid"), None, "config"),
        (lambda: head(3, None), "softmax", "config"),
        (lambda: head(1, None), "sigmoid", "config"),
        (lambda: head(3, None, keras.layers.Softmax()), None, "config"),
        (lambda: head(3, None, keras.layers.Activation("softmax")), None, "config"),
        (lambda: serving_model(head(3, None)), "softmax", "config"),  # nested
        (lambda: head(3, "relu"), "softmax", "check"),  # not probabilities
        (lambda: head(3, None, keras.layers.Rescaling(1.0)), "softmax", "check"),
    ],
)
def test_the_rule_for_each_kind_of_head(model, applied, decided_by):
    rule = output_activation(model())
    assert (rule.applied, rule.decided_by) == (applied, decided_by)


def test_the_numeric_check_keeps_probabilities_made_by_an_op():
    inputs = keras.Input((8, 8, 3))
    scores = keras.layers.Dense(4)(keras.layers.Flatten()(inputs))
    model = keras.Model(inputs, keras.ops.softmax(scores))
    assert output_activation(model) == OutputActivation(None, "check")


def test_applying_it_gives_probabilities_without_overflow():
    scores = np.array([[1000.0, -1000.0, 0.0], [0.0, 0.0, 0.0]])
    probs = OutputActivation("softmax", "config")(scores)
    np.testing.assert_allclose(probs.sum(axis=1), 1)
    np.testing.assert_allclose(probs[1], 1 / 3)
    with np.errstate(over="raise"):
        sig = OutputActivation("sigmoid", "config")(np.array([[-1000.0], [1000.0]]))
    np.testing.assert_allclose(sig.ravel(), [0, 1])
    np.testing.assert_array_equal(OutputActivation(None, "config")(scores), scores)


def test_the_note_names_the_model_and_what_is_applied():
    assert OutputActivation(None, "config").note("m.keras") == ""
    note = OutputActivation("sigmoid", "check").note("m.keras")
    assert note.startswith("m.keras outputs scores")
    assert "sigmoid is applied" in note


def test_wrap_appends_the_activation_for_keras_own_predict():
    model = head(3, None)
    wrapped = OutputActivation("softmax", "config").wrap(model)
    x = np.random.default_rng(0).uniform(0, 1, (2, 8, 8, 3)).astype("float32")
    expected = OutputActivation("softmax", "config")(np.asarray(model(x)))
    np.testing.assert_allclose(np.asarray(wrapped(x)), expected, rtol=1e-5)
    assert OutputActivation(None, "config").wrap(model) is model
