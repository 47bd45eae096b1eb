"""The Prediction page at 1366x768 with a model and images: Grad-CAM and
Insight tabs (screenshots in tests/artifacts, checked by eye)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtWidgets import QApplication

from core.model_builder import build_model
from core.spec import HeadSpec, InputSpec, LayerSpec, ModelSpec
from tests.desktop.test_cosmetics_combos import shows_whole
from tests.desktop.test_window_fits import larger_font  # noqa: F401 (a fixture)

ARTIFACTS = Path(__file__).parents[1] / "artifacts"
NAMES = ["circle", "square", "triangle", "star", "cross", "hexagon"]


@pytest.fixture
def page(window, qtbot):
    """The Prediction page of a 1366x768 window with a small CNN and 3 images."""
    window.resize(1366, 768)
    window.navigation.setCurrentRow(4)
    page = window.prediction_page
    QApplication.processEvents()  # the page is seen empty first, as a user does
    spec = ModelSpec(
        InputSpec(64, 64, 3),
        (
            LayerSpec.create("Rescaling", "rescaling_1"),
            LayerSpec.create("Conv2D", "conv2d_1", {"filters": 16}),
            LayerSpec.create("MaxPooling2D", "max_pooling2d_1"),
            LayerSpec.create("Conv2D", "conv2d_2", {"filters": 32}),
            LayerSpec.create("GlobalAveragePooling2D", "gap_1"),
        ),
        HeadSpec(len(NAMES)),
    )
    page.set_model(build_model(spec), NAMES)
    rng = np.random.default_rng(0)
    with qtbot.waitSignal(page.predicted, timeout=60_000):
        for i in range(3):
            noise = rng.integers(0, 255, (64, 64, 3), np.uint8)
            page.add_image(noise, f"noise_{i}.png")
    with qtbot.waitSignal(page.predicted, timeout=60_000):
        page.gallery.setCurrentRow(0)
    ARTIFACTS.mkdir(exist_ok=True)
    yield window, page
    page.shutdown()


@pytest.mark.usefixtures("larger_font")  # as X11 draws them: "(predicte" was cut
def test_the_gradcam_tab_shows_its_combos_whole(page):
    window, page = page
    QApplication.processEvents()
    window.grab().save(str(ARTIFACTS / "prediction-gradcam.png"))
    for combo in (page.layer_combo, page.class_combo):
        assert combo.isVisible()
        assert shows_whole(combo), combo.currentText()


def test_the_insight_tab_hides_gradcam_controls_and_fills_with_tiles(page, qtbot):
    window, page = page
    with qtbot.waitSignal(page.insight.grid_shown, timeout=60_000):
        page.tabs.setCurrentWidget(page.insight)
    QApplication.processEvents()
    window.grab().save(str(ARTIFACTS / "prediction-insight.png"))
    assert not page.layer_combo.isVisible()  # one "Layer" box, the Insight one
    assert not page.class_combo.isVisible()
    assert shows_whole(page.insight.layer_combo)
    sheet = page.insight.grid.pixmap()
    view = page.insight.sheet.viewport()
    # conv2d_1's 16 maps are laid out to fill the view, not a strip of it.
    assert sheet.width() * sheet.height() >= 0.5 * view.width() * view.height()


def test_the_empty_page_shows_no_empty_bars(window):
    window.resize(1366, 768)
    window.navigation.setCurrentRow(4)
    QApplication.processEvents()
    ARTIFACTS.mkdir(exist_ok=True)
    window.grab().save(str(ARTIFACTS / "prediction-empty.png"))
    assert not any(bar.isVisible() for bar in window.prediction_page.bars)
