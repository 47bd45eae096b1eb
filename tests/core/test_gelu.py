"""GELU (#26): offered by the layer editor, built by Keras, written by the export."""

from __future__ import annotations

import keras
import numpy as np

from core.data.spec import DatasetSpec
from core.inference.python_export import python_script
from core.layers import LAYER_KINDS
from core.model_builder import build_model
from core.spec import HeadSpec, InputSpec, LayerSpec, ModelSpec
from core.training.config import TrainingConfig


def gelu_spec() -> ModelSpec:
    layers = (
        LayerSpec.create("Conv2D", "conv", {"filters": 4, "activation": "gelu"}),
        LayerSpec.create("Flatten", "flatten"),
        LayerSpec.create("Dense", "dense", {"units": 8, "activation": "gelu"}),
    )
    return ModelSpec(InputSpec(8, 8, 1), layers, HeadSpec(3))


def test_every_layer_with_an_activation_offers_gelu():
    for kind in LAYER_KINDS.values():
        names = [f.name for f in kind.fields]
        if "activation" in names:
            assert "gelu" in kind.field("activation").choices


def test_a_gelu_layer_computes_the_exact_gelu():
    model = build_model(gelu_spec())
    dense = model.get_layer("dense")
    x = np.random.default_rng(0).normal(size=(2, 8, 8, 1)).astype("float32")
    flat = keras.Model(model.input, model.get_layer("flatten").output)(x)
    kernel, bias = dense.get_weights()
    expected = keras.activations.gelu(flat @ kernel + bias, approximate=False)
    got = keras.Model(model.input, dense.output)(x)
    assert np.allclose(got, expected, atol=1e-6)


def test_the_exported_script_builds_gelu_layers():
    text = python_script(
        gelu_spec(), DatasetSpec(name="shapes"), TrainingConfig(), None
    )
    assert text.count("activation='gelu'") == 2
