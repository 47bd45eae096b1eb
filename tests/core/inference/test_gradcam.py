"""Grad-CAM on every kind of model, and a heatmap that peaks where it must."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from core.data.shapes import generate
from core.inference.gradcam import find_last_conv_layer, gradcam
from core.inference.imaging import colorize, overlay
from core.inference.predict import predict
from core.model_builder import build_model
from core.spec import HeadSpec, InputSpec, LayerSpec, ModelSpec

IMAGE = generate(1, seed=2, size=32)[0][0]


def app_model(classes=3):
    spec = ModelSpec(
        InputSpec(32, 32, 3),
        (
            LayerSpec.create("Rescaling", "rescaling_1"),
            LayerSpec.create("Conv2D", "conv2d_1", {"filters": 4}),
            LayerSpec.create("MaxPooling2D", "max_pooling2d_1"),
            LayerSpec.create("Conv2D", "conv2d_2", {"filters": 4}),
            LayerSpec.create("GlobalAveragePooling2D", "gap_1"),
        ),
        HeadSpec(classes),
    )
    return build_model(spec)


def check(heat, shape=(32, 32)):
    assert heat.shape == shape
    assert heat.dtype == np.float32
    assert heat.min() >= 0.0
    assert heat.max() <= 1.0


def test_functional_app_model():
    model = app_model()
    assert find_last_conv_layer(model) == "conv2d_2"
    check(gradcam(model, IMAGE))
    check(gradcam(model, IMAGE, class_index=2, layer="conv2d_1"))


def test_sequential_model_loaded_from_a_file(tmp_path):
    model = keras.Sequential(
        [
            keras.Input((32, 32, 3)),
            keras.layers.Conv2D(4, 3, activation="relu"),
            keras.layers.Flatten(),
            keras.layers.Dense(2, activation="softmax"),
        ]
    )
    model.save(tmp_path / "seq.keras")
    loaded = keras.models.load_model(tmp_path / "seq.keras")
    check(gradcam(loaded, IMAGE))


def test_nested_backbone_and_a_sigmoid_head():
    backbone = keras.applications.MobileNetV2(
        input_shape=(32, 32, 3), include_top=False, weights=None
    )
    inputs = keras.Input((32, 32, 3))
    x = keras.layers.Rescaling(1 / 127.5, offset=-1)(inputs)
    x = backbone(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    outputs = keras.layers.Dense(1, activation="sigmoid")(x)
    model = keras.Model(inputs, outputs)
    target = find_last_conv_layer(model)
    assert target.startswith(backbone.name + "/")
    check(gradcam(model, IMAGE))
    check(gradcam(model, IMAGE, class_index=0))


def test_heatmap_peaks_where_the_model_looks():
    """One fixed 'brightness' filter: the class score grows with bright pixels."""
    inputs = keras.Input((16, 16, 1))
    conv = keras.layers.Conv2D(1, 3, padding="same", activation="relu", name="look")
    x = conv(inputs)
    x = keras.layers.GlobalAveragePooling2D()(x)
    dense = keras.layers.Dense(2, activation="softmax")
    model = keras.Model(inputs, dense(x))
    conv.set_weights([np.ones((3, 3, 1, 1)) / 9, np.zeros(1)])
    dense.set_weights([np.array([[1.0, -1.0]]), np.zeros(2)])
    image = np.zeros((16, 16, 1), np.uint8)
    image[10:14, 11:15] = 255  # bright patch, bottom right
    heat = gradcam(model, image, class_index=0)
    y, x_ = np.unravel_index(np.argmax(heat), heat.shape)
    assert 9 <= y <= 14
    assert 10 <= x_ <= 15
    assert heat[:6, :6].max() < 0.1


def test_predict_and_overlay():
    model = app_model(2)
    results = predict(model, [IMAGE, IMAGE[:20, :24]], ["a", "b"], top_k=2)
    assert len(results) == 2
    assert sum(p for _, p in results[0]) == pytest.approx(1.0, abs=1e-5)
    blended = overlay(IMAGE, gradcam(model, IMAGE), alpha=0.5)
    assert blended.shape == IMAGE.shape
    assert blended.dtype == np.uint8
    assert colorize(np.array([[0.0, 1.0]])).shape == (1, 2, 3)
    with pytest.raises(ValueError, match="alpha"):
        overlay(IMAGE, np.zeros((2, 2)), alpha=2)
