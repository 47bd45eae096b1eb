"""Grad-CAM++, activation grids and filter patterns."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from core.errors import WorkbenchError
from core.inference.gradcam import gradcam
from core.inference.insight import activation_grid, filter_pattern, filter_response
from tests.core.inference.test_gradcam import IMAGE, app_model, check


def test_gradcam_plus_plus():
    model = app_model()
    check(gradcam(model, IMAGE, method="gradcam++"))
    with pytest.raises(WorkbenchError, match="unknown method"):
        gradcam(model, IMAGE, method="scorecam2")


def test_activation_grid_tiles_every_channel():
    model = app_model()
    grid = activation_grid(model, IMAGE, "conv2d_1", columns=2)
    # conv2d_1 gives 30x30x4 maps: two rows and two columns with 1-pixel gaps.
    assert grid.shape == (61, 61)
    assert grid.dtype == np.uint8


def test_filter_pattern_excites_its_filter():
    # Seeded: with some random initialisations (seed 1, say) filter 1 is dead
    # on grey-plus-noise, has no gradient and no ascent can excite it.
    keras.utils.set_random_seed(0)
    model = app_model()
    start = np.full((32, 32, 3), 128, np.uint8)
    pattern = filter_pattern(model, "conv2d_2", 1, steps=15)
    assert pattern.shape == (32, 32, 3)
    assert filter_response(model, "conv2d_2", 1, pattern) > filter_response(
        model, "conv2d_2", 1, start
    )


def test_spatial_layers_feature_maps_and_pages():
    from core.inference.insight import feature_maps, spatial_layer_names, tile_maps

    model = app_model()
    names = spatial_layer_names(model)
    assert "conv2d_1" in names
    assert "conv2d_2" in names
    assert all("dense" not in n and "flatten" not in n for n in names)
    maps = feature_maps(model, IMAGE, "conv2d_1")
    assert maps.shape == (30, 30, 4)
    # A page of channels 1..2 only: one row of two tiles.
    assert tile_maps(maps, start=1, count=2, columns=8).shape == (30, 61)
    with pytest.raises(WorkbenchError, match="no channels"):
        tile_maps(maps, start=4)


def test_spatial_layers_reach_into_a_nested_backbone():
    import keras

    from core.inference.insight import feature_maps, spatial_layer_names

    backbone = keras.Sequential(
        [keras.Input((16, 16, 3)), keras.layers.Conv2D(2, 3, name="inner")],
        name="backbone",
    )
    inputs = keras.Input((16, 16, 3))
    x = keras.layers.GlobalAveragePooling2D()(backbone(inputs))
    model = keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(x))
    assert spatial_layer_names(model) == ["backbone/inner"]
    image = np.zeros((16, 16, 3), np.uint8)
    assert feature_maps(model, image, "backbone/inner").shape == (14, 14, 2)


def test_filter_pattern_reports_progress_and_stops_on_cancel():
    import threading

    model = app_model()
    seen: list[float] = []
    filter_pattern(model, "conv2d_2", 0, steps=3, progress=seen.append)
    assert seen == pytest.approx([1 / 3, 2 / 3, 1.0])
    stop = threading.Event()
    stop.set()
    assert filter_pattern(model, "conv2d_2", 0, steps=3, cancel=stop) is None
    with pytest.raises(WorkbenchError, match="choose 0 to"):
        filter_pattern(model, "conv2d_2", 999, steps=1)
