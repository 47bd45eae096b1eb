"""Test environment: offscreen Qt, quiet TensorFlow, no network, no leaked threads.

The environment variables are set before anything imports Qt or TensorFlow,
which is why they sit at the very top of the first conftest pytest loads.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import threading
from pathlib import Path

import pytest

# As core.data.builtin.shared_datasets_dir: overridable, e.g. for a git worktree.
SHARED_DATASETS = Path(
    os.environ.get("CNN_WORKBENCH_DATASETS")
    or Path(__file__).resolve().parents[1].parent / "shared" / "datasets"
)


def isolate_user_dirs(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    """Keep settings, logs, recovery files and the Keras cache inside ``home``.

    Every test gets its own (below); a module-scoped fixture that runs the app
    before any test's own isolation calls this with a ``MonkeyPatch.context()``.
    """
    monkeypatch.setenv("CNN_WORKBENCH_DATA_DIR", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path_factory, monkeypatch):
    """Keep settings, logs, recovery files and the Keras cache out of the home dir."""
    isolate_user_dirs(monkeypatch, tmp_path_factory.mktemp("home"))


@pytest.fixture
def seeded():
    """Make Keras weight initialisation and shuffling repeatable."""
    import keras

    keras.utils.set_random_seed(0)


@pytest.fixture
def shared_datasets() -> Path:
    """The read-only real datasets beside the project; skip when absent."""
    if not SHARED_DATASETS.is_dir():
        pytest.skip(f"shared datasets not found at {SHARED_DATASETS}")
    return SHARED_DATASETS


@pytest.fixture
def delete_now():
    """Delete a Qt object now, as its event loop would after ``deleteLater``.

    For a test that checks what a widget lets go of when destroyed. Waiting
    with ``qtbot.waitSignal(widget.destroyed)`` instead makes pytest-qt 4.5
    disconnect from the dead widget's signal afterwards, which PySide6 reports
    as a RuntimeWarning ("libpyside: Failed to disconnect").
    """
    from PySide6.QtCore import QCoreApplication, QEvent
    from shiboken6 import Shiboken

    def delete(obj) -> None:
        obj.deleteLater()
        # What QTest.qWait does after its events: deferred deletes, now.
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        assert not Shiboken.isValid(obj), f"{obj!r} outlived deleteLater"

    return delete


@pytest.fixture(autouse=True)
def _no_dangling_threads(monkeypatch):
    """Fail a test that leaves a Python thread or a QThread running (napari's check).

    Every ``QThread.start`` during the test is recorded, so a thread started
    outside ``desktop.workers`` is caught too, as is a busy global thread pool.
    """
    import sys

    qtcore = sys.modules.get("PySide6.QtCore")  # not imported here: core is Qt-free
    started: list = []
    if qtcore is not None:
        base_start = qtcore.QThread.start

        def recording_start(self, *args):
            started.append(self)
            base_start(self, *args)

        monkeypatch.setattr(qtcore.QThread, "start", recording_start)
    before = set(threading.enumerate())
    yield
    leaked = [
        t
        for t in threading.enumerate()
        if t not in before and t.is_alive() and not t.daemon
    ]
    assert not leaked, f"test left threads running: {leaked}"
    if qtcore is None:
        return
    from shiboken6 import Shiboken

    # A worker that just emitted ``finished`` may need a moment to return.
    running = [t for t in started if Shiboken.isValid(t) and not t.wait(5000)]
    assert not running, f"test left QThreads running: {running}"
    pool = qtcore.QThreadPool.globalInstance()
    assert pool.waitForDone(5000), "test left jobs in the global QThreadPool"
