"""The Training settings are never cut on the right (#25, seen under Xvfb).

The settings panel had a fixed width; a row added since (the weight
average's switch beside its momentum box) made the form wider than the
panel's scroll area, which does not scroll sideways: every box lost its right
edge and "restore best weights" its last letters. The panel takes the width
its form needs. Screenshot in tests/artifacts: training-settings.png.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QApplication, QScrollArea

from desktop.widgets.field_editors import FieldEditor

ARTIFACTS = Path(__file__).parents[1] / "artifacts"


def test_every_setting_shows_whole_in_the_panel(shapes_window, qtbot):
    window = shapes_window
    window.resize(1280, 720)  # the window a 1366x768 screen opens with
    window.show_page("training")
    QApplication.processEvents()
    page = window.training_page
    scroll = next(s for s in page.findChildren(QScrollArea) if s.widget() is page.form)
    viewport = scroll.viewport()
    ARTIFACTS.mkdir(exist_ok=True)
    scroll.parentWidget().grab().save(str(ARTIFACTS / "training-settings.png"))
    cut = [
        editor.field.name
        for editor in page.form.findChildren(FieldEditor)
        if editor.isVisibleTo(page.form)
        and editor.mapTo(viewport, QPoint(editor.width(), 0)).x() > viewport.width()
    ]
    assert cut == []
    assert page.form.width() <= viewport.width()
    # The loaded data's first preview (it loads TensorFlow) ends before the test.
    grid = window.augmentation_page.grid
    qtbot.waitUntil(lambda: not grid.pixmap().isNull(), timeout=300_000)
