"""FunctionWorker: signals in order, errors as messages, cooperative cancel."""

from __future__ import annotations

import pytest

from core.errors import DatasetError
from desktop.workers import FunctionWorker, running_threads


def test_result_and_progress(qtbot):
    def job(progress, cancel):
        for i in range(3):
            progress((i + 1) / 3, f"step {i + 1}")
        return "done"

    worker = FunctionWorker(job)
    seen = []
    worker.started.connect(lambda: seen.append("started"))
    worker.progressed.connect(lambda f, text: seen.append(text))
    with qtbot.waitSignal(worker.finished, timeout=5000) as blocker:
        worker.start()
    assert blocker.args == ["done"]
    assert seen == ["started", "step 1", "step 2", "step 3"]
    assert worker.wait()
    assert running_threads() == []


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (DatasetError("folder has one class"), "folder has one class"),
        (ZeroDivisionError("division by zero"), "ZeroDivisionError: division by zero"),
    ],
)
def test_failure_becomes_a_message(qtbot, error, message):
    def job(progress, cancel):
        raise error

    worker = FunctionWorker(job)
    with qtbot.waitSignal(worker.failed, timeout=5000) as blocker:
        worker.start()
    assert blocker.args[0] == message
    assert "Traceback" in blocker.args[1]
    worker.wait()


def test_cancel_is_seen_by_a_busy_job(qtbot):
    def job(progress, cancel):
        steps = 0
        while not cancel.wait(0.001):
            steps += 1
            if steps == 5:
                progress(0.5, "busy")
        return steps

    worker = FunctionWorker(job)
    worker.progressed.connect(lambda *_: worker.request_stop())
    with qtbot.waitSignal(worker.finished, timeout=5000) as blocker:
        worker.start()
    assert blocker.args[0] >= 5
    assert worker.cancelled
    worker.wait()


def test_gui_thread_can_wait_for_a_finished_job(qtbot):
    """wait() from the GUI thread returns without the event loop (close path)."""
    worker = FunctionWorker(lambda progress, cancel: 42)
    worker.start()
    assert worker.wait(5000)
