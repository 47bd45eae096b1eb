"""The Prediction page composites a pasted transparent image on white, as files are."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QColor, QGuiApplication, QImage

from desktop.pages.prediction_page import PredictionPage
from tests.core.inference.test_gradcam import app_model


@pytest.fixture
def page(qtbot):
    p = PredictionPage()
    qtbot.addWidget(p)
    yield p
    p.shutdown()


def test_a_pasted_transparent_image_is_white_where_transparent(qtbot, page):
    page.set_model(app_model(3), ["a", "b", "c"])
    image = QImage(8, 8, QImage.Format.Format_ARGB32)
    image.fill(QColor(0, 0, 0, 0))  # fully transparent, stored as black
    for y in range(8):
        image.setPixelColor(6, y, QColor(90, 90, 90, 255))
    QGuiApplication.clipboard().setImage(image)
    with qtbot.waitSignal(page.predicted, timeout=30_000):
        page.paste()
    pasted = page.images[0]
    assert pasted.shape == (8, 8, 3)
    assert pasted[:, :5].min() == 255
    np.testing.assert_array_equal(pasted[:, 6], 90)
