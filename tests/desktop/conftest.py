"""Desktop tests collect garbage on the main thread only (see desktop.gc_guard)."""

from __future__ import annotations

import gc

import pytest


@pytest.fixture(autouse=True)
def _collect_on_main_thread():
    """No automatic GC while a test's workers run; collect at teardown instead.

    ``gc.freeze`` parks the survivors (TensorFlow's millions of objects) so the
    teardown collection only scans what the test made.
    """
    gc.collect()
    gc.freeze()
    gc.disable()
    yield
    gc.collect()
    gc.enable()
