"""Measure whether this PySide6 leaks references to ``True`` and ``None``.

PySide6-Essentials 6.12.0 drops a reference to ``True`` on every ``emit()`` and
to ``None`` on every call of a Python ``paintEvent`` override; on Python 3.11,
where those objects are not immortal, enough of either aborts the interpreter
("deallocating True"). This counts both over ``N`` calls, so the pin in
``pyproject.toml`` rests on a number rather than a report::

    QT_QPA_PLATFORM=offscreen python bench/pyside_refcount.py

Python 3.12+ reports no change whatever PySide does (immortal objects). On a
leaking build the script still aborts at exit, having printed its numbers.
``--tiny`` only checks that the script works (``bench/_tiny.py``): 200 calls.
"""

from __future__ import annotations

import argparse
import sys

import PySide6
from _tiny import add_tiny_flag
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication, QWidget

N = 10_000
STEP = 100
SAFETY = 2 * STEP  # stop measuring before a leaking build frees True


class Emitter(QObject):
    ticked = Signal(bool)


class Painted(QWidget):
    def paintEvent(self, event: object) -> None:
        return None


def emit_delta(n: int = N) -> tuple[int, int, int]:
    """``(refcount before, change, emits made)`` over up to ``n`` ``emit(True)``.

    Stops early, in steps of 100, before a leaking build would free ``True``
    and abort, so the number is printed rather than a crash.
    """
    emitter = Emitter()
    emitter.ticked.connect(lambda value: None)
    before = sys.getrefcount(True)
    done = 0
    while done < n and sys.getrefcount(True) > SAFETY:
        for _ in range(min(STEP, n - done)):
            emitter.ticked.emit(True)
        done += min(STEP, n - done)
    return before, sys.getrefcount(True) - before, done


def paint_delta(n: int = N) -> tuple[int, int, int]:
    """``(refcount before, change, paints made)`` for ``None``, as ``emit_delta``."""
    widget = Painted()
    widget.resize(20, 20)
    widget.show()
    QApplication.processEvents()
    before = sys.getrefcount(None)
    done = 0
    while done < n and sys.getrefcount(None) > SAFETY:
        for _ in range(min(STEP, n - done)):
            widget.repaint()
        done += min(STEP, n - done)
    delta = sys.getrefcount(None) - before
    widget.close()
    return before, delta, done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_tiny_flag(parser)
    calls = 200 if parser.parse_args().tiny else N
    app = QApplication.instance() or QApplication([])  # noqa: F841 (kept alive)
    python = ".".join(map(str, sys.version_info[:3]))
    print(f"PySide6 {PySide6.__version__}, Python {python}, {calls:,} calls each")
    for what, call, measure in (
        ("True", "emit(True)", emit_delta),
        ("None", "paintEvent", paint_delta),
    ):
        before, delta, done = measure(calls)
        print(f"  refcount({what}) {before:,}, after {done:,} {call}: {delta:+,d}")
        if done < calls:
            print(f"  stopped early: {calls:,} calls would free {what} and abort")


if __name__ == "__main__":
    main()
