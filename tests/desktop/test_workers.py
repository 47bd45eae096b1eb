"""FunctionWorker: signals in order, errors as messages, cooperative cancel,
deleted when done, and one heavy ML job at a time across the app."""

from __future__ import annotations

import threading

import pytest
from shiboken6 import Shiboken

from core.errors import DatasetError
from desktop.workers import FunctionWorker, heavy_job, running_threads


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


def blocked(release: threading.Event, result: str = "first"):
    """A job that holds its thread until the test releases it."""

    def job(progress, cancel):
        release.wait(10)
        return result

    return job


def test_a_finished_worker_and_its_thread_are_deleted(qtbot):
    release = threading.Event()
    worker = FunctionWorker(blocked(release))
    worker.start()
    (thread,) = running_threads()
    with qtbot.waitSignal(worker.finished, timeout=5000):
        release.set()
    qtbot.waitUntil(lambda: not Shiboken.isValid(thread), timeout=5000)
    qtbot.waitUntil(lambda: not Shiboken.isValid(worker), timeout=5000)
    assert worker.wait()  # a deleted thread has nothing left to wait for


def test_a_second_heavy_job_is_refused_until_the_first_ends(qtbot):
    release = threading.Event()
    training = FunctionWorker(blocked(release), heavy="Training")
    training.start()
    assert heavy_job() == "Training"

    export = FunctionWorker(lambda progress, cancel: "exported", heavy="Export")
    with qtbot.waitSignal(export.failed, timeout=1000) as refused:
        export.start()
    assert refused.args == [
        "Training is running: wait for it to finish or stop it first.",
        "",
    ]
    light = FunctionWorker(lambda progress, cancel: "preview")  # not heavy: runs
    with qtbot.waitSignal(light.finished, timeout=5000):
        light.start()

    with qtbot.waitSignal(training.finished, timeout=5000):
        release.set()
    assert heavy_job() is None
    again = FunctionWorker(lambda progress, cancel: "exported", heavy="Export")
    with qtbot.waitSignal(again.finished, timeout=5000) as blocker:
        again.start()
    assert blocker.args == ["exported"]


def test_a_heavy_job_that_raises_reports_a_message_and_frees_the_slot(qtbot):
    def job(progress, cancel):
        raise ValueError("bad filter index")

    worker = FunctionWorker(job, heavy="A filter pattern search")
    with qtbot.waitSignal(worker.failed, timeout=5000) as blocker:
        worker.start()
    assert blocker.args[0] == "ValueError: bad filter index"
    assert heavy_job() is None
    after = FunctionWorker(lambda progress, cancel: 1, heavy="Training")
    with qtbot.waitSignal(after.finished, timeout=5000):
        after.start()


def test_the_registry_is_for_the_gui_thread_only(qtbot):
    errors = []

    def poke():
        try:
            running_threads()
        except AssertionError as exc:
            errors.append(str(exc))

    thread = threading.Thread(target=poke)
    thread.start()
    thread.join()
    assert errors == ["desktop.workers' registry is touched on the GUI thread only"]
