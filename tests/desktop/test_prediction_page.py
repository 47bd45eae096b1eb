"""The Prediction page: a drop shows the prediction and overlay; bad files are told."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from core.inference.export import export_keras
from desktop.pages.prediction_page import PredictionPage
from tests.core.inference.test_gradcam import app_model
from tests.desktop.drops import drop_event


@pytest.fixture
def page(qtbot):
    p = PredictionPage()
    qtbot.addWidget(p)
    p.resize(900, 600)
    yield p
    p.shutdown()


def test_drop_shows_prediction_overlay_and_bars(qtbot, page, tmp_path):
    page.set_model(app_model(3), ["circle", "square", "star"])
    assert page.layer_combo.itemText(0) == "conv2d_2"  # the last convolution first
    path = tmp_path / "shape.png"
    Image.fromarray(np.full((40, 30, 3), 90, np.uint8)).save(path)
    with qtbot.waitSignal(page.predicted, timeout=30_000) as blocker:
        page.dropEvent(drop_event(path))
    assert blocker.args == [0]
    probs, heat = page.results[0]
    assert probs.shape == (3,)
    assert heat.shape == (40, 30)
    assert page.view.pixmap() is not None
    assert page.gallery.item(0).text().endswith("%")
    assert page.bars[0].format().split()[0] in ("circle", "square", "star")


def test_broken_file_is_told_and_nothing_else_changes(qtbot, page, tmp_path):
    page.set_model(app_model(3), ["a", "b", "c"])
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"not a png")
    with qtbot.waitSignal(page.message, timeout=5_000) as blocker:
        page.add_paths([bad])
    assert "broken.png was not added" in blocker.args[0]
    assert page.gallery.count() == 0


def test_open_model_file_with_its_class_names(qtbot, page, tmp_path):
    path = export_keras(app_model(3), tmp_path / "m.keras", ["x", "y", "z"])
    page.open_model(str(path))
    assert page.class_names == ["x", "y", "z"]
    assert "m.keras" in page.model_label.text()
    with qtbot.waitSignal(page.predicted, timeout=30_000):
        page.add_image(np.zeros((32, 32, 3), np.uint8), "blank")
