"""Work around PySide6 6.12's ``SignalInstance.emit``, which leaks a ``True`` decref.

Every ``signal.emit(...)`` made from Python returns ``True`` without taking the
reference it hands back (measured: 49 emits lower ``sys.getrefcount(True)`` by
49). On Python 3.11, where ``True`` is not yet immortal, its count reaches zero
after some tens of thousands of emits and the interpreter aborts with "Fatal
Python error: bool_dealloc". Training emits the most (the listener bridge, the
chart's repaints through pyqtgraph's ``sigPrepareForPaint``), so a long run
would kill the app. Emits happen inside PySide and pyqtgraph too, so they
cannot be wrapped one by one; instead, when the leak is measured at import,
``True`` and ``False`` get a reference count so large it cannot run out, which
is what Python 3.12 does for them anyway (immortal objects).
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
    """Make ``True``/``False`` unkillable if this PySide leaks; True if it did."""
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return False  # immortal bools: a missing reference changes nothing
    if not emit_leaks_true():
        return False
    for value in (True, False):
        # ob_refcnt is the first field of every CPython object.
        ctypes.c_ssize_t.from_address(id(value)).value += RESERVE
    return True


installed = install()
