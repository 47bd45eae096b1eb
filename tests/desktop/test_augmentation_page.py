"""The Augmentation page: edits re-render the grid off-thread, and undo works."""

from __future__ import annotations

import pytest
from PIL import Image
from PySide6.QtGui import QUndoStack

from core.augmentation.config import PRESETS
from core.data.shapes import generate
from core.document import ProjectDocument
from desktop.pages.augmentation_page import AugmentationPage
from tests.desktop.drops import drop_event


@pytest.fixture
def page(qtbot):
    p = AugmentationPage(ProjectDocument(), QUndoStack())
    qtbot.addWidget(p)
    p.set_image(generate(1, seed=3, size=32)[0][0])
    yield p
    p.shutdown()


def test_changing_a_control_rerenders_the_requested_grid(qtbot, page):
    page.grid_size.setValue(3)
    with qtbot.waitSignal(page.rendered, timeout=60_000) as blocker:
        page.amounts["rotation"].setValue(25)
    assert blocker.args == [9]
    assert page.config.rotation == 25
    assert page.toggles["rotation"].isChecked()
    assert page.grid.pixmap().width() > 0
    with qtbot.waitSignal(page.rendered, timeout=60_000) as blocker:
        page.grid_size.setValue(10)
    assert blocker.args == [100]


def test_edits_are_undoable_and_switches_keep_amounts(qtbot, page):
    page.preset_combo.setCurrentText("light")
    assert page.config == PRESETS["light"]
    page.toggles["zoom"].setChecked(False)
    assert "zoom" in page.config.off
    assert page.config.zoom == pytest.approx(0.1)  # kept while off
    page.undo_stack.undo()
    assert page.config == PRESETS["light"]
    assert page.toggles["zoom"].isChecked()
    page.undo_stack.undo()
    assert page.config == PRESETS["none"]


def test_consecutive_edits_of_one_setting_merge(page):
    for value in (5, 10, 15):
        page.amounts["rotation"].setValue(value)
    assert page.undo_stack.count() == 1
    page.undo_stack.undo()
    assert page.config.rotation == 0


def test_dropping_an_image_makes_it_the_source(qtbot, page, tmp_path):
    path = tmp_path / "photo.png"
    Image.new("RGB", (20, 10), (200, 30, 30)).save(path)
    event = drop_event(path)
    with qtbot.waitSignal(page.rendered, timeout=60_000):
        page.dropEvent(event)
    assert page.source.shape == (10, 20, 3)
