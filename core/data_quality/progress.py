"""How the report tells its caller how far it is, and how it is stopped.

The report is the app's heavy job (one at a time, on the worker thread, like
training and the learning-rate finder): ``ReportListener`` hears a stage in
words and the fraction done, on that thread (a GUI adapter re-emits them as
signals). Cancel is a ``threading.Event`` the caller sets; the report checks
it between batches, blocks of the neighbour search and (through training's
own callback) the fold models' batches, and raises ``ReportCancelled``. A
cancelled report writes nothing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol

MIN_INTERVAL_S = 0.1  # progress at most ten times a second; stages always


class ReportCancelled(Exception):
    """The caller set the cancel event; nothing was saved."""


class ReportListener(Protocol):
    """What the report says while it runs (called on the report's thread)."""

    def on_stage(self, stage: str) -> None: ...

    def on_progress(self, fraction: float) -> None: ...


class NullReportListener:
    """Hears nothing (scripts that only want the report)."""

    def on_stage(self, stage: str) -> None:
        return None

    def on_progress(self, fraction: float) -> None:
        return None


class Stages:
    """The report's stages with their shares of the whole, in order.

    ``begin(name, text)`` starts a stage; ``tick(fraction)`` reports how far
    into it the report is and raises ``ReportCancelled`` when asked to stop.
    """

    def __init__(
        self,
        shares: dict[str, float],
        listener: ReportListener,
        cancel: threading.Event,
    ) -> None:
        total = sum(shares.values())
        self._starts: dict[str, float] = {}
        self._shares = {k: v / total for k, v in shares.items()}
        at = 0.0
        for name, share in self._shares.items():
            self._starts[name] = at
            at += share
        self._listener = listener
        self.cancel = cancel
        self._stage = next(iter(shares))
        self._last = 0.0

    def begin(self, name: str, text: str) -> None:
        self.check()
        self._stage = name
        self._listener.on_stage(text)
        self._send(self._starts[name], force=True)

    def say(self, text: str) -> None:
        """A step within the current stage, in words (its progress goes on)."""
        self.check()
        self._listener.on_stage(text)

    def tick(self, fraction: float) -> None:
        self.check()
        share = self._shares[self._stage]
        self._send(self._starts[self._stage] + share * min(max(fraction, 0.0), 1.0))

    def done(self) -> None:
        self._send(1.0, force=True)

    def check(self) -> None:
        if self.cancel.is_set():
            raise ReportCancelled("the data-quality report was stopped")

    def ticker(self, start: float, end: float) -> Callable[[float], None]:
        """``tick`` for a part of the current stage: [0, 1] mapped to [start, end]."""
        return lambda fraction: self.tick(start + (end - start) * fraction)

    def _send(self, fraction: float, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._last >= MIN_INTERVAL_S:
            self._last = now
            self._listener.on_progress(fraction)
