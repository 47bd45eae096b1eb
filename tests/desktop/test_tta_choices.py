"""Test-time augmentation in the GUI: the Prediction page's choice, the export's."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from core.inference.export import export_keras
from core.inference.output_activation import output_activation
from core.inference.predict import image_probabilities
from core.tta import with_tta
from desktop.export_dialog import ExportDialog, ExportSource
from tests.core.inference.test_tta import layer_names

WAIT = 30_000
IMAGE = np.random.default_rng(5).integers(0, 256, (16, 16, 3), dtype=np.uint8)


def flat_model() -> keras.Model:
    """16x16, Flatten before the head: its mirror image predicts otherwise."""
    keras.utils.set_random_seed(3)
    inputs = keras.Input((16, 16, 3))
    x = keras.layers.Rescaling(1 / 255)(inputs)
    x = keras.layers.Conv2D(4, 3, activation="relu", name="conv")(x)
    x = keras.layers.Flatten()(x)
    outputs = keras.layers.Dense(3, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="flat")


@pytest.fixture
def page(prediction_page):
    return prediction_page


def test_the_prediction_page_predicts_again_with_the_chosen_views(qtbot, page):
    model = flat_model()
    page.set_model(model, ["a", "b", "c"])
    assert page.tta_combo.currentData() == "none"
    with qtbot.waitSignal(page.predicted, timeout=WAIT):
        page.add_image(IMAGE, "x")
    rule = output_activation(model)
    plain = image_probabilities(model, [IMAGE], rule)[0]
    np.testing.assert_allclose(page.results[0][0], plain, atol=1e-7)
    with qtbot.waitSignal(page.predicted, timeout=WAIT):
        page.tta_combo.setCurrentIndex(page.tta_combo.findData("flip"))
    flip = image_probabilities(with_tta(model, "flip"), [IMAGE], rule)[0]
    np.testing.assert_allclose(page.results[0][0], flip, atol=1e-7)
    assert np.abs(flip - plain).max() > 1e-4


def test_a_model_starts_with_the_views_its_run_tested_with(qtbot, page):
    model = flat_model()
    page.tta_combo.setCurrentIndex(page.tta_combo.findData("flip_shifts"))
    page.set_model(model, ["a", "b", "c"], tta="flip")
    assert page.tta_combo.currentData() == "flip"
    with qtbot.waitSignal(page.predicted, timeout=WAIT):
        page.add_image(IMAGE, "x")
    rule = output_activation(model)
    flip = image_probabilities(with_tta(model, "flip"), [IMAGE], rule)[0]
    np.testing.assert_allclose(page.results[0][0], flip, atol=1e-7)
    page.set_model(flat_model(), ["a", "b", "c"])  # from elsewhere: none
    assert page.tta_combo.currentData() == "none"


def test_a_model_of_any_size_has_no_tta_choice(qtbot, page, tmp_path):
    path = export_keras(flat_model(), tmp_path / "m.keras", ["a", "b", "c"])
    page.tta_combo.setCurrentIndex(1)
    with qtbot.waitSignal(page.model_opened, timeout=60_000):
        page.open_model(str(path))
    assert not page.tta_combo.isEnabled()
    assert page.tta_combo.currentData() == "none"
    assert "any size" in page.tta_combo.toolTip()


def test_the_export_dialog_puts_the_chosen_tta_into_the_keras_file(qtbot, tmp_path):
    dialog = ExportDialog(ExportSource(flat_model(), ["a", "b", "c"], "m"), tmp_path)
    qtbot.addWidget(dialog)
    assert dialog.tta_combo.isEnabled()
    assert dialog.tta_choice() == "none"
    dialog.set_format("tflite")
    assert not dialog.tta_combo.isEnabled()
    assert "Only the .keras" in dialog.tta_combo.toolTip()
    dialog.set_format("keras")
    dialog.tta_combo.setCurrentIndex(dialog.tta_combo.findData("flip"))
    with qtbot.waitSignal(dialog.exported, timeout=WAIT):
        dialog.export_button.click()
    loaded = keras.models.load_model(tmp_path / "m.keras", safe_mode=True)
    assert "tta_average" in layer_names(loaded)
    assert dialog.tta_combo.isEnabled()
