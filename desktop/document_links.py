"""Connect a view to the project document until Qt destroys the view.

The document outlives its views. A slot left connected after Qt deleted its
widget would call into a deleted C++ object, so every view unhooks when it is
destroyed. The unhooking callback holds weak references only: it keeps no
view alive, and a view whose Python side went first is already gone from
psygnal (which holds bound methods weakly).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable
from typing import Any

from PySide6.QtCore import QObject


def connect_while_alive(
    view: QObject, connections: Iterable[tuple[Any, Callable[..., Any]]]
) -> None:
    """Connect each psygnal ``(signal, bound method)``; disconnect on destroyed."""
    pairs = []
    for signal, slot in connections:
        signal.connect(slot)
        pairs.append((signal, weakref.WeakMethod(slot)))

    def disconnect(*_: Any) -> None:
        for signal, ref in pairs:
            slot = ref()
            if slot is not None:
                signal.disconnect(slot)

    view.destroyed.connect(disconnect)
