"""Run core functions off the GUI thread, superqt-style, one QThread per job.

The job is a plain function ``fn(progress, cancel)``: ``progress(fraction,
text)`` may be called from the worker thread (it is re-emitted as a queued Qt
signal), and ``cancel`` is a ``threading.Event`` the function polls. Cancel is
an Event, not a queued slot, because a thread busy inside a long core call runs
no event loop, so a queued slot would only arrive after the job ended.

Lifecycle (superqt's ``new_worker_qthread`` wiring, made thread-safe): the
worker moves back to the GUI thread when its job returns, and once its thread
has finished both are ``deleteLater``-ed on the GUI thread, after the job's
queued signals were delivered (so ``sender()`` in a slot is still valid).

Every started thread is registered until it has finished, so the main window
can stop and ``wait()`` them all on close (glue-qt: destroying a running
QThread segfaults) and the test-suite can fail tests that leak one. That
registry, and the one heavy ML job the whole app may run at a time (Orange and
Anki serialise theirs the same way: two TensorFlow jobs on a laptop only make
both slow and may exhaust memory), are touched on the GUI thread only.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Qt, QThread, Signal, Slot
from shiboken6 import Shiboken

Job = Callable[[Callable[[float, str], None], threading.Event], Any]
# Holds Python references to both objects until the thread has finished, since
# PySide would otherwise garbage-collect a worker whose job is still running.
_RUNNING: dict[QThread, FunctionWorker] = {}
_heavy: FunctionWorker | None = None  # the heavy job holding the slot, if any


def _assert_gui_thread() -> None:
    app = QCoreApplication.instance()
    assert app is None or QThread.currentThread() == app.thread(), (
        "desktop.workers' registry is touched on the GUI thread only"
    )


def running_threads() -> list[QThread]:
    """Worker threads started here that have not finished yet."""
    _assert_gui_thread()
    return [t for t in _RUNNING if t.isRunning()]


def heavy_job() -> str | None:
    """The name of the heavy job running now (``"Training"``), or None."""
    _assert_gui_thread()
    if _heavy is None or _heavy.done:
        return None
    return _heavy.heavy


def stop_all(timeout_ms: int = 10_000) -> bool:
    """Ask every job to stop and wait for its thread; True when all ended."""
    _assert_gui_thread()
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

    ``heavy`` names a heavy ML job ("Training", "Export"): while one runs,
    :meth:`start` of another emits ``failed`` at once with a message naming it
    and starts nothing, so every caller's failure slot shows the refusal.

    Example:
        worker = FunctionWorker(lambda progress, cancel: scan(path, progress, cancel))
        worker.finished.connect(self._on_scan_finished)
        worker.start()
    """

    started = Signal()
    progressed = Signal(float, str)
    finished = Signal(object)
    failed = Signal(str, str)

    def __init__(self, job: Job, heavy: str | None = None) -> None:
        super().__init__()
        self._job = job
        self.heavy = heavy
        self._cancel = threading.Event()
        self._done = threading.Event()  # set by the job's thread as it returns
        self._thread: _JobThread | None = None

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    @property
    def done(self) -> bool:
        """The job has returned (or raised); its thread may still be ending."""
        return self._done.is_set()

    def start(self) -> None:
        """Start the job, or refuse through ``failed`` while another heavy one runs."""
        global _heavy
        _assert_gui_thread()
        if self.heavy is not None:
            busy = heavy_job()
            if busy is not None:
                self._done.set()
                self.failed.emit(
                    f"{busy} is running: wait for it to finish or stop it first.", ""
                )
                self.deleteLater()
                return
            _heavy = self
        self._thread = _JobThread()
        self.moveToThread(self._thread)
        self._thread.started.connect(self.run)
        # Direct: QThread.quit is thread-safe, and a queued quit would need the
        # GUI event loop, so a GUI thread blocked in wait() would never see it.
        direct = Qt.ConnectionType.DirectConnection
        self.finished.connect(self._thread.quit, direct)
        self.failed.connect(self._thread.quit, direct)
        _RUNNING[self._thread] = self
        self._thread.start()

    def request_stop(self) -> None:
        """Plain method on purpose: callable from any thread, effective at once."""
        self._cancel.set()

    def wait(self, timeout_ms: int = 10_000) -> bool:
        """Wait for the thread; True at once when it never started or was deleted."""
        thread = self._thread
        if thread is None or not Shiboken.isValid(thread):
            return True
        return thread.wait(timeout_ms)

    @Slot()
    def run(self) -> None:
        self.started.emit()
        try:
            result = self._job(self._report, self._cancel)
        except Exception as exc:
            self._end()
            self.failed.emit(_message(exc), traceback.format_exc())
        else:
            self._end()
            self.finished.emit(result)

    def _end(self) -> None:
        """Frees the heavy slot and hands the worker back for deleteLater."""
        self._done.set()
        self.moveToThread(QCoreApplication.instance().thread())

    def _report(self, fraction: float, text: str = "") -> None:
        self.progressed.emit(float(fraction), text)


class _JobThread(QThread):
    """Retires itself and its worker on the GUI thread, where this object lives."""

    def __init__(self) -> None:
        super().__init__()
        self.finished.connect(self._retire)  # queued: emitted by the ending thread

    @Slot()
    def _retire(self) -> None:
        global _heavy
        _assert_gui_thread()
        self.wait()  # finished is emitted just before the thread really ends
        worker = _RUNNING.pop(self)
        if _heavy is worker:
            _heavy = None
        worker.deleteLater()
        self.deleteLater()


def _message(exc: BaseException) -> str:
    """``str(exc)`` for our own errors; the type too for anything unexpected."""
    from core.errors import WorkbenchError

    if isinstance(exc, WorkbenchError):
        return str(exc)
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
