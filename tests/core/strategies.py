"""Hypothesis strategies for random *valid-looking* layer stacks.

Stacks are drawn in the order real CNNs have (feature-map layers, an optional
flatten/global pool, then vector layers) so that most draws are valid and few
are thrown away; the tests then let ``core.summary`` decide validity.
"""

from __future__ import annotations

from hypothesis import strategies as st

from core.layers import ACTIVATIONS
from core.spec import HeadSpec, InputSpec, LayerSpec, ModelSpec

pairs = st.tuples(st.integers(1, 4), st.integers(1, 4)).map(list)
small_pairs = st.tuples(st.integers(1, 2), st.integers(1, 2)).map(list)
padding = st.sampled_from(["valid", "same"])
activation = st.sampled_from(ACTIVATIONS)
rate = st.floats(0.0, 0.9)


def _conv_options(with_filters: bool) -> st.SearchStrategy[dict]:
    base = {
        "kernel_size": pairs,
        "strides": small_pairs,
        "padding": padding,
        "activation": activation,
        "use_bias": st.booleans(),
    }
    if with_filters:
        base["filters"] = st.integers(1, 16)
    return st.fixed_dictionaries(base)


MAP_LAYERS = st.one_of(
    st.tuples(st.just("Conv2D"), _conv_options(True)),
    st.tuples(
        st.just("Conv2D"),
        st.fixed_dictionaries(
            {"filters": st.integers(1, 8), "dilation_rate": pairs, "padding": padding}
        ),
    ),
    st.tuples(
        st.just("SeparableConv2D"),
        _conv_options(True).flatmap(
            lambda d: st.integers(1, 3).map(lambda m: {**d, "depth_multiplier": m})
        ),
    ),
    st.tuples(
        st.just("DepthwiseConv2D"),
        _conv_options(False).flatmap(
            lambda d: st.integers(1, 3).map(lambda m: {**d, "depth_multiplier": m})
        ),
    ),
    st.tuples(
        st.sampled_from(["MaxPooling2D", "AveragePooling2D"]),
        st.fixed_dictionaries(
            {
                "pool_size": pairs,
                "strides": st.one_of(st.none(), small_pairs),
                "padding": padding,
            }
        ),
    ),
    st.tuples(
        st.just("BatchNormalization"),
        st.fixed_dictionaries({"center": st.booleans(), "scale": st.booleans()}),
    ),
    st.tuples(st.just("SpatialDropout2D"), st.fixed_dictionaries({"rate": rate})),
    st.tuples(
        st.just("ZeroPadding2D"),
        st.tuples(pairs, pairs).map(lambda p: [[v - 1 for v in p[0]], p[1]]),
    ).map(lambda t: (t[0], {"padding": t[1]})),
    st.tuples(st.just("ReLU"), st.fixed_dictionaries({"negative_slope": rate})),
    st.tuples(
        st.just("Rescaling"), st.fixed_dictionaries({"scale": st.floats(0.001, 2)})
    ),
)
BRIDGE = st.one_of(
    st.tuples(st.just("Flatten"), st.just({})),
    st.tuples(
        st.sampled_from(["GlobalAveragePooling2D", "GlobalMaxPooling2D"]),
        st.just({"keepdims": False}),
    ),
)
VECTOR_LAYERS = st.one_of(
    st.tuples(
        st.just("Dense"),
        st.fixed_dictionaries(
            {
                "units": st.integers(1, 64),
                "activation": activation,
                "use_bias": st.booleans(),
            }
        ),
    ),
    st.tuples(st.just("Dropout"), st.fixed_dictionaries({"rate": rate})),
    st.tuples(st.just("BatchNormalization"), st.just({})),
    st.tuples(st.just("Activation"), st.fixed_dictionaries({"activation": activation})),
)


@st.composite
def model_specs(draw: st.DrawFn) -> ModelSpec:
    inp = InputSpec(
        draw(st.integers(4, 40)),
        draw(st.integers(4, 40)),
        draw(st.sampled_from([1, 3])),
    )
    kinds = [
        *draw(st.lists(MAP_LAYERS, min_size=1, max_size=6)),
        draw(BRIDGE),
        *draw(st.lists(VECTOR_LAYERS, max_size=4)),
    ]
    layers = tuple(
        LayerSpec.create(cls, f"layer_{i}", options)
        for i, (cls, options) in enumerate(kinds)
    )
    classes = draw(st.integers(2, 12))
    binary = draw(st.sampled_from(["sigmoid", "softmax"]))
    return ModelSpec(inp, layers, HeadSpec(classes, binary))
