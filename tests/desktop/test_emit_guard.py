"""PySide6 6.12's emit() leaks a reference to True; the guard keeps the app alive."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal

from desktop import emit_guard


class Emitter(QObject):
    ticked = Signal(object)


def test_many_emits_cannot_free_true():
    emitter = Emitter()
    emitter.ticked.connect(lambda value: None)
    # Without the guard, this PySide aborts the interpreter ("bool_dealloc")
    # once the emits exceed True's reference count (about 30,000 with TF loaded).
    for _ in range(200_000):
        emitter.ticked.emit(1)
    if emit_guard.emit_leaks_true() and sys.version_info < (3, 12):
        assert emit_guard.installed
        assert sys.getrefcount(True) > emit_guard.RESERVE // 2


def test_python_paint_overrides_cannot_free_none(qtbot):
    from PySide6.QtWidgets import QWidget

    class Painted(QWidget):
        def paintEvent(self, event):
            return None

    widget = Painted()
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    before = sys.getrefcount(None)
    for _ in range(200):
        widget.repaint()
    leaked = before - sys.getrefcount(None)
    if leaked >= 100 and sys.version_info < (3, 12):  # this PySide's bug
        assert emit_guard.installed
        assert sys.getrefcount(None) > emit_guard.RESERVE // 2
