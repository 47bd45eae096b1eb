"""The Data page at 1366x768: the selected image whole, the skipped files'
names readable (screenshots in tests/artifacts, checked by eye)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QApplication

from core.data.spec import DatasetSpec
from core.document import ProjectDocument
from core.workspace import Workspace
from desktop.pages.dataset_page import DatasetPage

ARTIFACTS = Path(__file__).parents[1] / "artifacts"
PAGE = (1190, 660)  # the Data page in a window on a 1366x768 screen


@pytest.fixture
def page(qtbot):
    p = DatasetPage(Workspace(ProjectDocument()), QUndoStack())
    qtbot.addWidget(p)
    p.resize(*PAGE)
    p.show()
    yield p
    p.shutdown()


def test_the_selected_image_shows_whole(page, qtbot):
    with qtbot.waitSignal(page.dataset_loaded, timeout=60_000):
        page.load_spec(DatasetSpec(name="shapes", count=60))
    view = page.view
    grid = view.grid
    index = grid.model().index(0, 0)
    qtbot.waitUntil(lambda: grid.visualRect(index).isValid())
    qtbot.mouseClick(
        grid.viewport(), Qt.MouseButton.LeftButton, pos=grid.visualRect(index).center()
    )
    QApplication.processEvents()
    ARTIFACTS.mkdir(exist_ok=True)
    view.tabs.grab().save(str(ARTIFACTS / "data-selected-image.png"))
    shown = view.preview.pixmap()
    box = view.preview.contentsRect()
    h, w, _ = page.document.input.shape
    assert shown.width() <= box.width()
    assert shown.height() <= box.height()  # 64x64 was 192x192 in 192x152
    assert shown.width() * h == shown.height() * w  # its shape kept
    assert max(shown.width(), shown.height()) >= max(w, h)  # not made smaller


def test_skipped_files_show_their_names(page, qtbot, tmp_path):
    root = tmp_path / "a folder with a long descriptive name" / "photos of pets"
    for c, name in enumerate(("cat", "dog")):
        (root / name).mkdir(parents=True)
        for k in range(4):
            pixels = np.full((20, 24, 3), c * 60 + k, np.uint8)
            Image.fromarray(pixels).save(root / name / f"{k}.png")
    (root / "dog" / "holiday picture from the beach 2019.jpg").write_text("no jpeg")
    with qtbot.waitSignal(page.dataset_loaded, timeout=60_000):
        page.open_folder(str(root))
    page.view.tabs.setCurrentIndex(1)
    QApplication.processEvents()
    ARTIFACTS.mkdir(exist_ok=True)
    page.view.tabs.grab().save(str(ARTIFACTS / "data-skipped-files.png"))
    table = page.skipped_table
    assert table.rowCount() == 1
    assert table.columnWidth(0) > table.columnWidth(1)  # the file has the room
    assert table.item(0, 0).toolTip().endswith("2019.jpg")
