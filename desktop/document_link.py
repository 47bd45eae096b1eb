"""Connecting a Qt object to the project document for as long as it lives.

The document outlives every view. psygnal holds a view's methods weakly, but
Qt may delete the C++ side of a widget while its Python wrapper lives on, and
a later event would then call into a deleted object. So a view's handlers are
disconnected when Qt destroys it, by a callback that holds only weak
references (a strong one would keep the view alive).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable
from typing import Any

from psygnal import SignalInstance
from PySide6.QtCore import QObject


def follow_document(
    owner: QObject, connections: Iterable[tuple[SignalInstance, Callable[..., Any]]]
) -> None:
    """Connect each signal to ``owner``'s method until ``owner`` is destroyed."""
    links = []
    for signal, method in connections:
        signal.connect(method)
        links.append((signal, weakref.WeakMethod(method)))

    def disconnect(*_: object) -> None:
        for signal, ref in links:
            method = ref()
            if method is not None:
                signal.disconnect(method, missing_ok=True)

    owner.destroyed.connect(disconnect)
