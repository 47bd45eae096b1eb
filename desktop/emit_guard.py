"""Work around PySide6 6.12's reference-count bugs on ``True`` and ``None``.

Every ``signal.emit(...)`` made from Python returns ``True`` without taking the
reference it hands back (measured: 49 emits lower ``sys.getrefcount(True)`` by
49), and every call of a Python override of a void virtual (``paintEvent``,
``QGraphicsItem.paint``) drops one reference to ``None`` (100 repaints of a
widget with a Python ``paintEvent``: -100). On Python 3.11, where these objects
are not yet immortal, a count that reaches zero aborts the interpreter ("Fatal
Python error: bool_dealloc" / "none_dealloc"). Training emits and repaints the
most (the listener bridge, pyqtgraph's per-paint ``sigPrepareForPaint`` and its
items' ``paint``), so a long run, or a chart with many shaded spans, would kill
the app. The calls happen inside PySide and pyqtgraph, so they cannot be
wrapped one by one; instead, when the emit leak is measured at import (the
paint leak needs a QApplication to measure, and comes with the same build),
``True``, ``False`` and ``None`` get a reference count so large it cannot run
out, which is what Python 3.12 does for them anyway (immortal objects).
"""

from __future__ import annotations

import ctypes
import sys

from PySide6.QtCore import QObject, Signal

# Enough for a million emits a second for twelve days; far below overflow.
RESERVE = 1 << 40


class _Probe(QObject):
    fired = Signal()


def emit_leaks_true() -> bool:
    """Whether one ``emit()`` lowers the reference count of ``True``."""
    probe = _Probe()
    before = sys.getrefcount(True)
    for _ in range(8):
        probe.fired.emit()
    return sys.getrefcount(True) < before - 4


def install() -> bool:
    """Make ``True``/``False``/``None`` unkillable if this PySide leaks them."""
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return False  # immortal: a missing reference changes nothing
    if not emit_leaks_true():
        return False
    for value in (True, False, None):
        # ob_refcnt is the first field of every CPython object.
        ctypes.c_ssize_t.from_address(id(value)).value += RESERVE
    return True


installed = install()
