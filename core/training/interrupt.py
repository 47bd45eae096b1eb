"""Ctrl+C and SIGTERM for a headless run: stop after the batch, keep the run.

The first SIGINT or SIGTERM sets the run's cancel event, which the training
callback checks after every batch (``core.training.callbacks``), so the run
ends the way the app's Stop button ends it: resumable, its history and
checkpoints intact. A second Ctrl+C means "now": it raises KeyboardInterrupt
at once. Python runs signal handlers on the main thread between bytecodes, so
this works while ``fit`` runs there (the command line trains on its main
thread).
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass

EXIT_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}


@dataclass
class Interrupt:
    """Which signal asked the run to stop, if any."""

    received: signal.Signals | None = None

    @property
    def exit_code(self) -> int | None:
        return EXIT_CODES[self.received] if self.received is not None else None


@contextlib.contextmanager
def stop_on_signals(cancel: threading.Event) -> Iterator[Interrupt]:
    """Turn SIGINT/SIGTERM into ``cancel.set()`` for the block; restore after."""
    state = Interrupt()

    def handle(signum: int, frame: object) -> None:
        if state.received is not None and signum == signal.SIGINT:
            raise KeyboardInterrupt
        if state.received is None:
            state.received = signal.Signals(signum)
            print(
                "\nstopping after the current batch (Ctrl+C again to abort at once)",
                file=sys.stderr,
                flush=True,
            )
        cancel.set()

    previous = {s: signal.signal(s, handle) for s in EXIT_CODES}
    try:
        yield state
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
