"""The Data and Augmentation pages at 1366x768 give their room to the images
(screenshots in tests/artifacts, checked by eye)."""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtWidgets import QApplication

ARTIFACTS = Path(__file__).parents[1] / "artifacts"


def test_the_augmentation_grid_fills_its_side(shapes_window, qtbot, monkeypatch):
    from core.augmentation import pipeline

    gate = threading.Event()  # the first render waits, as TensorFlow's loading does
    preview = pipeline.preview

    def held(*args, **kwargs):
        gate.wait(60)
        return preview(*args, **kwargs)

    monkeypatch.setattr(pipeline, "preview", held)
    window = shapes_window
    window.resize(1366, 768)
    ARTIFACTS.mkdir(exist_ok=True)
    page = window.augmentation_page
    with qtbot.waitSignal(page.rendered, timeout=120_000):
        window.navigation.setCurrentRow(2)
        qtbot.waitUntil(lambda: page._worker is not None)
        # While it draws: a note where the grid will be, not a blank.
        window.grab().save(str(ARTIFACTS / "augmentation-page-drawing.png"))
        drawing = page.grid.text()
        gate.set()
    assert "Drawing 36 variants" in drawing
    QApplication.processEvents()
    window.grab().save(str(ARTIFACTS / "augmentation-page.png"))
    shown = page.grid.pixmap().size()
    room = page.grid.size()
    assert min(room.width(), room.height()) - 8 <= max(shown.toTuple()) + 1


def test_the_data_page_gives_its_room_to_the_thumbnails(shapes_window):
    window = shapes_window
    window.resize(1366, 768)
    QApplication.processEvents()
    ARTIFACTS.mkdir(exist_ok=True)
    window.grab().save(str(ARTIFACTS / "data-page.png"))
    table = window.data_page.view.class_table
    columns = sum(table.columnWidth(c) for c in range(table.columnCount()))
    assert columns >= table.viewport().width() - 2  # no blank beside the counts
