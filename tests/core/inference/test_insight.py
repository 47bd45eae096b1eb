"""Grad-CAM++, activation grids and filter patterns."""

from __future__ import annotations

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
    model = app_model()
    start = np.full((32, 32, 3), 128, np.uint8)
    pattern = filter_pattern(model, "conv2d_2", 1, steps=15)
    assert pattern.shape == (32, 32, 3)
    assert filter_response(model, "conv2d_2", 1, pattern) > filter_response(
        model, "conv2d_2", 1, start
    )
