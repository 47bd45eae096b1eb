"""The mouse wheel over a box in a scrolling form scrolls the form (#25).

Spin and combo boxes take wheel events even without focus, so scrolling the
Training settings changed the batch size under the pointer (32 became 17).
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QScrollArea, QWidget


def wheel(widget: QWidget, notches: int = -1) -> None:
    """One real wheel turn over the middle of ``widget``, as a mouse sends it."""
    local = QPointF(widget.rect().center())
    event = QWheelEvent(
        local,
        QPointF(widget.mapToGlobal(local.toPoint())),
        QPoint(0, 0),
        QPoint(0, 120 * notches),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(widget, event)


def scroll_area_of(widget: QWidget) -> QScrollArea:
    parent = widget.parentWidget()
    while not isinstance(parent, QScrollArea):
        parent = parent.parentWidget()
    return parent


def panel_at_top(window, qtbot, box: QWidget):
    """The Training settings short enough to scroll, scrolled to the top."""
    window.resize(1366, 600)
    bar = scroll_area_of(box).verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0)
    bar.setValue(0)
    return bar


def test_the_wheel_scrolls_the_training_settings_over_an_unfocused_box(window, qtbot):
    spin = window.training_page.form.editors["batch_size"].spin
    bar = panel_at_top(window, qtbot, spin)
    before = spin.value()
    wheel(spin, -1)
    assert spin.value() == before
    assert bar.value() > 0  # the panel scrolled instead

    spin.setFocus()
    qtbot.waitUntil(spin.hasFocus)
    wheel(spin, 1)
    assert spin.value() == before + 1  # a focused box still takes the wheel


def test_an_unfocused_choice_box_leaves_the_wheel_to_the_panel(window, qtbot):
    combo = window.training_page.form.editors["optimizer"].combo
    bar = panel_at_top(window, qtbot, combo)
    before = combo.currentText()
    wheel(combo, -1)
    assert combo.currentText() == before
    assert bar.value() > 0
