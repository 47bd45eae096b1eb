"""The Prediction page: a drop shows the prediction and overlay; bad files are told."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from core.inference.export import export_keras
from tests.core.inference.test_gradcam import app_model
from tests.desktop.drops import drop_event


@pytest.fixture
def page(prediction_page):
    return prediction_page


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
    with qtbot.waitSignal(page.model_opened, timeout=60_000):
        page.open_model(str(path))
    assert page.class_names == ["x", "y", "z"]
    assert "m.keras" in page.model_label.text()
    with qtbot.waitSignal(page.predicted, timeout=30_000):
        page.add_image(np.zeros((32, 32, 3), np.uint8), "blank")


def test_import_reads_the_file_on_a_worker_and_the_latest_wins(qtbot, page, tmp_path):
    first = export_keras(app_model(3), tmp_path / "a.keras", ["x", "y", "z"])
    second = export_keras(app_model(2), tmp_path / "b.keras", ["p", "q"])
    with qtbot.waitSignal(page.model_opened, timeout=60_000):
        page.open_model(str(first))
        assert page.model is None  # not read on the GUI thread
        assert "Loading a.keras" in page.status.text()
        page.clear()  # a new project: the file being read is not wanted
        page.open_model(str(second))
    assert page.class_names == ["p", "q"]
    assert "b.keras" in page.model_label.text()


def dense_only_model(classes=3):
    """An imported model with no convolution: Rescaling, Flatten and Dense."""
    import keras

    return keras.Sequential(
        [
            keras.Input((16, 16, 3)),
            keras.layers.Rescaling(1 / 255),
            keras.layers.Flatten(),
            keras.layers.Dense(classes, activation="softmax"),
        ]
    )


def test_a_model_without_convolution_predicts_and_says_why_no_gradcam(
    qtbot, page, tmp_path
):
    path = tmp_path / "dense.keras"
    dense_only_model().save(path)
    (tmp_path / "dense.keras.json").write_text('{"class_names": ["a", "b", "c"]}')
    with qtbot.waitSignal(page.model_opened, timeout=60_000):
        page.open_model(str(path))
    assert page.class_names == ["a", "b", "c"]
    with qtbot.waitSignal(page.predicted, timeout=30_000) as blocker:
        page.add_image(np.full((20, 24, 3), 200, np.uint8), "grey")
    assert blocker.args == [0]
    probs, heat = page.results[0]
    assert probs.shape == (3,)
    assert heat is None
    assert page.gallery.item(0).text().endswith("%")
    assert page.bars[0].format().split()[0] in ("a", "b", "c")
    reason = "no 2-D convolutional layer"
    assert not page.layer_combo.isEnabled()
    assert reason in page.explain_note.text()
    assert not page.tabs.isTabEnabled(page.tabs.indexOf(page.insight))
    assert reason in page.tabs.tabToolTip(page.tabs.indexOf(page.insight))
    # Back to a model with convolutions: both come back.
    page.set_model(app_model(3), ["x", "y", "z"])
    assert page.layer_combo.isEnabled()
    assert page.tabs.isTabEnabled(page.tabs.indexOf(page.insight))
    assert page.explain_note.text() == ""


def test_a_model_that_does_not_take_images_is_not_imported(qtbot, page, tmp_path):
    import keras

    path = tmp_path / "vector.keras"
    keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)]).save(path)
    with qtbot.waitSignal(page.message, timeout=60_000) as blocker:
        page.open_model(str(path))
    assert "does not take images" in blocker.args[0]
    assert page.model is None
