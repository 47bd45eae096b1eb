"""Run core functions off the GUI thread, superqt-style, one QThread per job.

The job is a plain function ``fn(progress, cancel)``: ``progress(fraction,
text)`` may be called from the worker thread (it is re-emitted as a queued Qt
signal), and ``cancel`` is a ``threading.Event`` the function polls. Cancel is
an Event, not a queued slot, because a thread busy inside a long core call runs
no event loop, so a queued slot would only arrive after the job ended.

Every started thread is registered until it has finished, so the main window
can stop and ``wait()`` them all on close (glue-qt: destroying a running
QThread segfaults) and the test-suite can fail tests that leak one.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

Job = Callable[[Callable[[float, str], None], threading.Event], Any]
# Holds Python references to both objects until the thread has finished, since
# PySide would otherwise garbage-collect a worker whose job is still running.
_RUNNING: dict[QThread, FunctionWorker] = {}


def running_threads() -> list[QThread]:
    """Worker threads started here that have not finished yet."""
    return [t for t in _RUNNING if t.isRunning()]


def stop_all(timeout_ms: int = 10_000) -> bool:
    """Ask every job to stop and wait for its thread; True when all ended."""
    for worker in list(_RUNNING.values()):
        worker.request_stop()
    ok = True
    for thread in list(_RUNNING):
        thread.quit()
        ok = thread.wait(timeout_ms) and ok
    return ok


class FunctionWorker(QObject):
    """Runs one job in its own QThread and reports through signals.

    Signals: ``started()``, ``progressed(float, str)``, ``finished(object)``
    (the job's return value; also after a cancel, check ``cancelled``), and
    ``failed(str message, str traceback)``. Nothing escapes the thread.
    Connect the signals first, then call :meth:`start`.

    Example:
        worker = FunctionWorker(lambda progress, cancel: scan(path, progress, cancel))
        worker.finished.connect(self._on_scan_finished)
        worker.start()
    """

    started = Signal()
    progressed = Signal(float, str)
    finished = Signal(object)
    failed = Signal(str, str)

    def __init__(self, job: Job) -> None:
        super().__init__()
        self._job = job
        self._cancel = threading.Event()
        self._thread = QThread()
        self.moveToThread(self._thread)
        self._thread.started.connect(self.run)
        # Direct: QThread.quit is thread-safe, and a queued quit would need the
        # GUI event loop, so a GUI thread blocked in wait() would never see it.
        direct = Qt.ConnectionType.DirectConnection
        self.finished.connect(self._thread.quit, direct)
        self.failed.connect(self._thread.quit, direct)
        self._thread.finished.connect(self._on_thread_finished)

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def start(self) -> None:
        _RUNNING[self._thread] = self
        self._thread.start()

    def request_stop(self) -> None:
        """Plain method on purpose: callable from any thread, effective at once."""
        self._cancel.set()

    def wait(self, timeout_ms: int = 10_000) -> bool:
        return self._thread.wait(timeout_ms)

    @Slot()
    def run(self) -> None:
        self.started.emit()
        try:
            result = self._job(self._report, self._cancel)
        except Exception as exc:
            self.failed.emit(_message(exc), traceback.format_exc())
        else:
            self.finished.emit(result)

    def _report(self, fraction: float, text: str = "") -> None:
        self.progressed.emit(float(fraction), text)

    @Slot()
    def _on_thread_finished(self) -> None:
        _RUNNING.pop(self._thread, None)


def _message(exc: BaseException) -> str:
    """``str(exc)`` for our own errors; the type too for anything unexpected."""
    from core.errors import WorkbenchError

    if isinstance(exc, WorkbenchError):
        return str(exc)
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
