"""Boxes in a scrolling form leave the mouse wheel to the form unless focused.

Spin and combo boxes take wheel events even without focus, and a focus policy
alone does not stop that: scrolling the Training settings turned the batch size
under the pointer from 32 to 17. Every editor of a scrolling form goes through
``wheel_when_focused``; an unfocused box then hands the wheel to the scroll
area it sits in. It forwards the event itself rather than ignore it: Qt passes
an ignored wheel on to the parents only when the event came from the window
system, and a synthesized one (a test's, another widget's) would be lost.
"""

from __future__ import annotations

from typing import TypeVar

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractScrollArea, QApplication, QWidget

Box = TypeVar("Box", bound=QWidget)


class _WheelGuard(QObject):
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.Wheel or watched.hasFocus():
            return False
        area = _scroll_area_of(watched)
        if area is None:
            event.ignore()  # nothing scrolls: the box keeps its value all the same
        else:
            QApplication.sendEvent(area.viewport(), event)
        return True


def _scroll_area_of(widget: QObject) -> QAbstractScrollArea | None:
    parent = widget.parent()
    while parent is not None and not isinstance(parent, QAbstractScrollArea):
        parent = parent.parent()
    return parent


_guard: _WheelGuard | None = None


def wheel_when_focused(box: Box) -> Box:
    """Make ``box`` take the wheel only once clicked or tabbed into."""
    global _guard
    if _guard is None:
        _guard = _WheelGuard()
    box.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    box.installEventFilter(_guard)
    return box
