"""Mouse gestures on the app's widgets, as a user makes them."""

from __future__ import annotations

from PySide6.QtCore import Qt


def double_click_palette(qtbot, page, kind: str) -> None:
    """Double-click ``kind`` in the Model page's layer palette.

    A real double-click starts with a press; Qt only activates the item that
    was pressed.
    """
    palette = page.layer_palette
    item = palette.item_for(kind)
    palette.scrollToItem(item)
    center = palette.visualItemRect(item).center()
    qtbot.mouseClick(palette.viewport(), Qt.MouseButton.LeftButton, pos=center)
    qtbot.mouseDClick(palette.viewport(), Qt.MouseButton.LeftButton, pos=center)
