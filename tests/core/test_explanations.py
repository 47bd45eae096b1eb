"""The editor's arithmetic: the formulas, with the numbers filled in."""

from __future__ import annotations

from core.presets import preset
from core.spec import InputSpec, LayerSpec, ModelSpec
from core.summary import summarize


def test_conv_params_and_valid_shape_formula():
    report = summarize(preset("cifar10-simple-cnn")).layers[1]
    assert report.param_steps == (
        "(kernel_h * kernel_w * in_channels + 1) * filters = (3*3*3 + 1) * 32 = 896",
    )
    assert report.shape_steps[0] == (
        "height: valid padding: floor((n - k) / s) + 1 = floor((32 - 3) / 1) + 1 = 30"
    )
    assert (
        "(I - K + 2P) / S + 1 with P = 0: (32 - 3 + 0) / 1 + 1 = 30"
        in (report.shape_steps[1])
    )


def test_same_padding_and_dilation_formulas():
    spec = ModelSpec(
        InputSpec(28, 28, 1),
        (
            LayerSpec.create("Conv2D", "a", {"padding": "same", "strides": 2}),
            LayerSpec.create("Conv2D", "b", {"dilation_rate": 2}),
            LayerSpec.create("BatchNormalization", "c"),
            LayerSpec.create("Flatten", "d"),
        ),
    )
    a, b, c = summarize(spec).layers[:3]
    assert a.shape_steps[0] == "height: same padding: ceil(n / s) = ceil(28 / 2) = 14"
    assert b.shape_steps[0] == (
        "height: valid padding: floor((n - d*(k - 1) - 1) / s) + 1 = "
        "floor((14 - 2*(3 - 1) - 1) / 1) + 1 = 10"
    )
    assert c.param_steps[1] == (
        "non-trainable: moving mean + moving variance = 2 * 32 = 64"
    )
