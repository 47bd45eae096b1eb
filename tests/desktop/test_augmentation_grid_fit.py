"""The Augmentation page's grid fills its room however it was drawn (#25): a
grid drawn while the page was hidden (an image picked on the Data page) was
scaled to the hidden label's default 640x480 and stayed a 472-px square in a
window with room for 680 (seen under Xvfb at 1366x768; screenshots in
tests/artifacts, checked by eye)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QApplication

from core.data.shapes import generate

ARTIFACTS = Path(__file__).parents[1] / "artifacts"


def drawn(page) -> bool:
    """Every grid asked for is drawn (the loaded data's first, then ours)."""
    return (
        page._worker is None and not page._pending and not page.grid.pixmap().isNull()
    )


def _fills(page) -> bool:
    shown = max(page.grid.pixmap().size().toTuple())
    room = min(page.grid.width(), page.grid.height())
    return room - 8 <= shown + 1 and shown <= room


def test_a_grid_drawn_while_hidden_fills_the_page_when_shown(shapes_window, qtbot):
    window = shapes_window
    window.resize(1366, 768)
    page = window.augmentation_page
    assert not page.isVisible()  # the Data page is shown
    page.set_image(generate(1, seed=3)[0][0])  # as a picked image does
    qtbot.waitUntil(lambda: drawn(page), timeout=600_000)
    window.navigation.setCurrentRow(2)
    qtbot.waitUntil(page.isVisible)
    QApplication.processEvents()
    ARTIFACTS.mkdir(exist_ok=True)
    window.grab().save(str(ARTIFACTS / "augmentation-grid-drawn-hidden.png"))
    assert _fills(page), (page.grid.pixmap().size(), page.grid.size())
    window.resize(1100, 700)  # a smaller window: the grid shrinks with it
    QApplication.processEvents()
    assert _fills(page), (page.grid.pixmap().size(), page.grid.size())
