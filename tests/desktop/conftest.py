"""Desktop tests run the application as ``create_app`` sets it up for a user (its
style sheet too), and collect garbage on the main thread only (see
desktop.gc_guard)."""

from __future__ import annotations

import gc

import pytest


@pytest.fixture(autouse=True, scope="session")
def _app_as_users_get_it(qapp):
    """Name, icon and style sheet: what a widget looks like depends on them."""
    from desktop.app import create_app

    create_app()


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


@pytest.fixture
def window(qtbot, monkeypatch):
    """The main window with a fresh session; save and restore prompts say no."""
    from PySide6.QtWidgets import QMessageBox

    from desktop.main_window import MainWindow

    discard = QMessageBox.StandardButton.Discard
    monkeypatch.setattr(MainWindow, "_ask_save_changes", lambda self: discard)
    monkeypatch.setattr(MainWindow, "_ask_restore", lambda self, when: False)
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    w.start_session(None)
    yield w
    if w.export_dialog is not None:
        w.export_dialog.shutdown()
        w.export_dialog.close()
    w.close()


@pytest.fixture
def small_starter(monkeypatch):
    """First start with 600 shapes instead of the starter's 8,000: request it
    before ``window``. For a test of what the pages say while the starter's
    data loads, not of the data: drawing 8,000 shapes took some 15 CPU-s."""
    from dataclasses import replace

    import desktop.window_files as files
    from core.data.spec import DatasetSpec
    from core.presets import starter_project

    small = replace(starter_project(), dataset=DatasetSpec(name="shapes", count=600))
    monkeypatch.setattr(files, "starter_project", lambda: small)


@pytest.fixture
def shapes_window(window, qtbot):
    """The window with a small shapes set (60 images, 6 classes) loaded."""
    from core.data.spec import DatasetSpec

    window.document.set_dataset(DatasetSpec(name="shapes", count=60))
    with qtbot.waitSignal(window.data_page.dataset_loaded, timeout=60_000):
        window.navigation.setCurrentRow(1)  # it loads when shown
    return window


@pytest.fixture
def prediction_page(qtbot):
    """A Prediction page on its own, 900x600, shut down after the test."""
    from desktop.pages.prediction_page import PredictionPage

    page = PredictionPage()
    qtbot.addWidget(page)
    page.resize(900, 600)
    yield page
    page.shutdown()
