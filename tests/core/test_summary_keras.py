"""core.summary must equal Keras exactly: shapes, counts and the trainable split."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, assume, given, settings

from core.model_builder import build_model
from core.presets import all_presets
from core.spec import ModelSpec
from core.summary import summarize
from tests.core.strategies import model_specs

EXPECTED_TOTALS = {
    "cifar10-simple-cnn": 122_570,
    "mnist-convnet": 93_322,
    "cats-vs-dogs-small": 3_453_121,
    "fashion-mnist-cnn": 241_546,
    "fashion-mnist-best": 225_034,
    "fashion-mnist-vgg": 5_240_842,
    "vgg16-cifar10-transfer": 14_916_426,
}


def _count(weights) -> int:
    return sum(math.prod(w.shape) for w in weights)


def assert_equal_to_keras(spec: ModelSpec) -> None:
    if spec.backbone is not None:  # tests never download ImageNet weights
        spec = spec.with_backbone_options(weights="none")
    summary = summarize(spec)
    model = build_model(spec)
    keras_layers = model.layers[1:]  # skip the InputLayer
    rows = summary.flat_layers()  # a backbone's inner layers in its place
    assert [layer.name for layer in keras_layers] == [r.name for r in rows]
    for layer, report in zip(keras_layers, rows, strict=True):
        assert tuple(layer.output.shape[1:]) == report.output_shape, layer.name
        assert _count(layer.trainable_weights) == report.trainable, layer.name
        assert _count(layer.non_trainable_weights) == report.non_trainable, layer.name
    assert model.count_params() == summary.total
    assert _count(model.trainable_weights) == summary.trainable
    assert _count(model.non_trainable_weights) == summary.non_trainable


@pytest.mark.parametrize("name", sorted(EXPECTED_TOTALS))
def test_preset_totals_are_the_tutorials(name):
    spec = all_presets()[name].spec
    assert summarize(spec).total == EXPECTED_TOTALS[name]
    assert_equal_to_keras(spec)


def test_every_bundled_preset_matches_keras():
    for p in all_presets().values():
        assert summarize(p.spec).is_valid, p.name
        assert_equal_to_keras(p.spec)


@settings(
    max_examples=220,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(spec=model_specs())
def test_random_valid_stacks_match_keras(spec):
    assume(summarize(spec).is_valid)
    assert_equal_to_keras(spec)
