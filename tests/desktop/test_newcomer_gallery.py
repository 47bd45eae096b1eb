"""Prediction gallery: no leftover file-name fragments when a label changes (#25).

A gallery item showed its file name, then its prediction ("circle 97%"),
shorter: Qt repainted only the item's new, narrower rectangle, so pieces of
the name (and of the icon, which moved to the new centre) stayed on screen
until something else repainted them. What the window shows (its backing
store, as the screen gets it) must equal a fresh paint of the gallery.
Screenshots in tests/artifacts: prediction-gallery(-before).png.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QApplication

from tests.core.inference.test_gradcam import app_model

ARTIFACTS = Path(__file__).parents[1] / "artifacts"


def on_screen(widget):
    """What the window shows where ``widget`` is: no fresh paint, as a user sees it."""
    for _ in range(5):  # the posted updates are painted and flushed
        QApplication.processEvents()
    top = widget.window()
    corner = widget.mapTo(top, QPoint(0, 0))
    size = widget.size()
    grab = widget.screen().grabWindow(
        top.winId(), corner.x(), corner.y(), size.width(), size.height()
    )
    return grab.toImage()


def test_predicted_labels_leave_no_file_name_fragments(
    qtbot, prediction_page, tmp_path
):
    page = prediction_page
    page.show()
    qtbot.waitExposed(page)
    paths = []
    for i in range(4):
        path = tmp_path / f"a_rather_long_file_name_of_a_photo_{i:04}.png"
        Image.fromarray(np.full((32, 32, 3), 40 * i, np.uint8)).save(path)
        paths.append(path)
    page.add_paths(paths)
    gallery = page.gallery.viewport()
    on_screen(gallery)  # the file names are painted
    rows = set()
    page.predicted.connect(rows.add)
    page.set_model(app_model(3), ["circle", "square", "star"])
    qtbot.waitUntil(lambda: rows >= {0, 1, 2, 3}, timeout=60_000)
    assert all(page.gallery.item(r).text().endswith("%") for r in range(4))
    shown, fresh = on_screen(gallery), gallery.grab().toImage()
    ARTIFACTS.mkdir(exist_ok=True)
    shown.save(str(ARTIFACTS / "prediction-gallery.png"))
    assert differing_pixels(shown, fresh) == 0


def differing_pixels(a, b) -> int:
    """How many pixels of two same-sized images differ."""
    a, b = a.convertToFormat(b.format()), b
    assert (a.width(), a.height()) == (b.width(), b.height())
    return sum(
        a.pixel(x, y) != b.pixel(x, y)
        for y in range(a.height())
        for x in range(a.width())
    )
