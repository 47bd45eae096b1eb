"""Invalid stacks are marked on the offending layer with a fix, never a traceback."""

from __future__ import annotations

import keras
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.errors import SpecError
from core.model_builder import build_model
from core.spec import HeadSpec, InputSpec, LayerSpec, ModelSpec
from core.summary import summarize
from tests.core.strategies import BRIDGE, MAP_LAYERS, VECTOR_LAYERS


def spec_of(*layers, inp=(28, 28, 1), classes=10):
    specs = tuple(
        LayerSpec(cls, f"l{i}", options) for i, (cls, options) in enumerate(layers)
    )
    return ModelSpec(InputSpec(*inp), specs, HeadSpec(classes))


def only_error(spec):
    errors = summarize(spec).errors
    assert len(errors) == 1, errors
    return errors[0]


def test_conv_after_flatten_names_layer_and_fix():
    index, name, msg = only_error(
        spec_of(("Flatten", {}), ("Conv2D", {}), ("Flatten", {}))
    )
    assert (index, name) == (1, "l1")
    assert "needs a 2-D feature map" in msg
    assert "before Flatten" in msg


def test_spatial_size_shrinking_to_zero():
    spec = spec_of(
        ("Conv2D", {"kernel_size": 3}),
        ("MaxPooling2D", {}),
        ("Conv2D", {"kernel_size": 5}),
        ("MaxPooling2D", {"pool_size": 8}),
        ("Flatten", {}),
        inp=(12, 12, 3),
    )
    index, _, msg = only_error(spec)  # 12 -> 10 -> 5 -> 1, then an 8x8 pool
    assert index == 3
    assert "pool window 8 is larger than the input height 1" in msg
    assert "'same'" in msg


def test_valid_kernel_larger_than_input():
    index, _, msg = only_error(spec_of(("Conv2D", {"kernel_size": 9}), inp=(4, 4, 1)))
    assert index == 0
    assert "kernel 9 is larger than the input height 4" in msg
    assert "padding 'same'" in msg


def test_output_not_a_vector_is_marked_on_the_head():
    spec = spec_of(("Conv2D", {}))
    index, name, msg = only_error(spec)
    assert name == "classifier"
    assert index == len(spec.layers)
    assert "add Flatten or GlobalAveragePooling2D" in msg


@pytest.mark.parametrize(
    ("layer", "fragment"),
    [
        (("Dense", {"units": 0}), "units must be at least 1"),
        (("Dropout", {"rate": 1.0}), "rate must be below 1"),
        (("Dropout", {"rate": -0.1}), "rate must be at least 0"),
        (("Conv2D", {"filters": 0}), "filters must be at least 1"),
        (("Conv2D", {"kernel_size": [0, 3]}), "kernel_size must be at least 1"),
        (("Conv2D", {"strides": 2, "dilation_rate": 2}), "cannot be combined"),
        (("Conv2D", {"padding": "full"}), "padding must be one of valid, same"),
        (("Dense", {"units": "ten"}), "units must be a whole number"),
        (("Dense", {"size": 3}), "has no option 'size'"),
        (("Upsample", {}), "unknown layer type 'Upsample'"),
    ],
)
def test_bad_options_are_reported_on_their_layer(layer, fragment):
    spec = spec_of(("Flatten", {}), layer)
    index, name, msg = summarize(spec).errors[0]
    assert (index, name) == (1, "l1")
    assert fragment in msg


def test_bad_input_shape():
    errors = summarize(spec_of(("Flatten", {}), inp=(0, 28, 2))).errors
    assert [e[0] for e in errors] == [-1, -1]


def test_build_model_refuses_invalid_spec_with_message():
    with pytest.raises(SpecError, match=r"layer 2 \(l1\): Conv2D needs a 2-D"):
        build_model(spec_of(("Flatten", {}), ("Conv2D", {})))


def _keras_accepts(spec: ModelSpec) -> bool:
    """Build with Keras directly, bypassing our validation."""
    x = inputs = keras.Input(spec.input.shape)
    try:
        for layer in (*spec.layers, spec.head.layer()):
            x = getattr(keras.layers, layer.class_name)(**layer.keras_config())(x)
    except (ValueError, TypeError):
        return False
    return len(keras.Model(inputs, x).output.shape) == 2


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    inp=st.tuples(st.integers(2, 20), st.integers(2, 20), st.sampled_from([1, 3])),
    kinds=st.lists(
        st.one_of(MAP_LAYERS, BRIDGE, VECTOR_LAYERS), min_size=1, max_size=7
    ),
)
def test_no_stack_keras_rejects_is_called_valid(inp, kinds):
    """Any order of layers: whatever Keras rejects (or cannot classify), we flag."""
    spec = ModelSpec(
        InputSpec(*inp),
        tuple(LayerSpec.create(c, f"l{i}", o) for i, (c, o) in enumerate(kinds)),
        HeadSpec(3),
    )
    accepted = _keras_accepts(spec)
    if summarize(spec).is_valid:
        assert accepted
    if not accepted:
        assert not summarize(spec).is_valid
