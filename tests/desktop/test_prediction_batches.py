"""The Prediction page predicts a batch per job and shows logits as probabilities.

Issue 23: the page ran the model (and Grad-CAM) once per image, and a model
without softmax showed its raw scores as percentages.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import core.inference.predict as predict_module
from tests.core.inference.test_gradcam import app_model
from tests.reliability.test_logits_models import dense_model, scaled_up

WAIT = 60_000


@pytest.fixture
def page(prediction_page):
    return prediction_page


@pytest.fixture
def folder(tmp_path):
    rng = np.random.default_rng(0)
    for i in range(5):
        pixels = rng.integers(0, 256, (24 + i, 32, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(tmp_path / f"{i}.png")
    return tmp_path


@pytest.fixture
def batches(monkeypatch):
    """The size of each batch the model was called with."""
    sizes: list[int] = []
    real = predict_module.probabilities

    def counted(model, batch, *args):
        sizes.append(len(batch))
        return real(model, batch, *args)

    monkeypatch.setattr(predict_module, "probabilities", counted)
    return sizes


def all_predicted(page):
    return all(r is not None for r in page.results) and page.results[0][1] is not None


def test_a_dropped_folder_is_predicted_in_one_batch(qtbot, page, folder, batches):
    page.set_model(app_model(3), ["a", "b", "c"])
    page.add_paths([folder])
    qtbot.waitUntil(lambda: all_predicted(page), timeout=WAIT)
    assert batches == [5]
    assert all(page.gallery.item(i).text().endswith("%") for i in range(5))
    assert page.results[0][1].shape == (24, 32)  # the shown image's heatmap
    assert all(page.results[i][1] is None for i in range(1, 5))  # only when shown
    with qtbot.waitSignal(page.predicted, timeout=WAIT) as blocker:
        page.gallery.setCurrentRow(3)
    assert blocker.args == [3]
    assert page.results[3][1].shape == (27, 32)
    with qtbot.waitSignal(page.predicted, timeout=WAIT) as blocker:
        page.class_combo.setCurrentIndex(2)  # explain class "b": heatmap only
    assert blocker.args == [3]
    assert page.results[3][1] is not None
    assert batches == [5]  # the probabilities were not computed again


def test_a_logits_model_shows_probabilities_and_says_so_once(qtbot, page, folder):
    said: list[str] = []
    page.message.connect(said.append)
    page.set_model(scaled_up(dense_model(3, None)), ["a", "b", "c"], "logits.keras")
    page.add_paths([folder])
    qtbot.waitUntil(lambda: all(r is not None for r in page.results), timeout=WAIT)
    for probs, _ in page.results:
        assert probs.min() >= 0
        assert probs.sum() == pytest.approx(1)
    shown = [page.gallery.item(i).text().split()[1] for i in range(5)]
    assert all(int(text.rstrip("%")) <= 100 for text in shown)
    assert len(said) == 1
    assert "softmax" in said[0]
    assert "logits.keras" in page.status.text()


def test_a_failing_heatmap_is_told_once_not_retried(qtbot, page, monkeypatch):
    import desktop.pages.prediction_page as prediction_page

    page.set_model(app_model(3), ["a", "b", "c"])
    with qtbot.waitSignal(page.predicted, timeout=WAIT):
        page.add_image(np.full((32, 32, 3), 90, np.uint8), "grey")
    tries: list[str] = []

    def broken(model, explainers, layer, image, class_index):
        tries.append(layer)
        raise RuntimeError("no probe for this layer")

    monkeypatch.setattr(prediction_page, "explain", broken)
    with qtbot.waitSignal(page.message, timeout=WAIT) as blocker:
        page.layer_combo.setCurrentIndex(1)
    assert "no probe for this layer" in blocker.args[0]
    qtbot.waitUntil(lambda: page._worker is None, timeout=WAIT)
    assert tries == [page.layer_combo.currentText()]
    assert page.results[0][1] is None  # the probabilities stay
    assert page.results[0][0].shape == (3,)
