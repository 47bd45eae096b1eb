"""A minimal synchronous event: the core's GUI-free stand-in for a Qt signal.

Core objects announce changes through these so that any view (a Qt item model,
a test, a script) can follow them without the core knowing Qt exists. Handlers
run synchronously on the thread that made the change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class Event:
    """Callbacks connected to one kind of change.

    Example:
        >>> changed = Event()
        >>> seen = []
        >>> changed.connect(seen.append)
        >>> changed.emit(3)
        >>> seen
        [3]
    """

    def __init__(self) -> None:
        self._handlers: list[Callable[..., Any]] = []

    def connect(self, handler: Callable[..., Any]) -> None:
        if handler not in self._handlers:
            self._handlers.append(handler)

    def disconnect(self, handler: Callable[..., Any]) -> None:
        if handler in self._handlers:
            self._handlers.remove(handler)

    def emit(self, *args: Any) -> None:
        for handler in list(self._handlers):
            handler(*args)
