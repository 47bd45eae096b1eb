"""What a newcomer sees on first start (#25): what to do, and the data loading.

Nothing said what to do with the starter project, and its data loaded with
progress only on the Data page, which the first start does not show.
"""

from __future__ import annotations


def status(window) -> str:
    return window.statusBar().currentMessage()


def test_first_start_says_what_to_do(window):
    assert "Press Start on the Training page" in status(window)
    assert "shapes" in status(window)


def test_the_data_loading_shows_in_the_status_bar(window, qtbot):
    from core.data.spec import DatasetSpec

    window.document.set_dataset(DatasetSpec(name="shapes", count=60))  # quicker
    seen: list[str] = []
    window.statusBar().messageChanged.connect(seen.append)
    with qtbot.waitSignal(window.data_page.dataset_loaded, timeout=60_000):
        window.show_page("training")  # the page's data loads when shown
    assert any(text.startswith("Loading shapes") for text in seen), seen
    # Loaded: the hint is back, since nothing has been trained yet.
    assert "Press Start on the Training page" in status(window)


def test_an_opened_project_gets_no_starter_hint(window, tmp_path):
    from core.presets import starter_project
    from core.project import save_project

    path = save_project(starter_project(), tmp_path / "mine.cnnwb.json")
    window.open_project(path, ask=False)
    assert "Press Start" not in status(window)


def test_a_window_reopening_on_the_training_page_loads_its_data(qtbot, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    from core.data.spec import DatasetSpec
    from core.project import Project
    from desktop.main_window import PAGE_KEYS, MainWindow

    discard = QMessageBox.StandardButton.Discard
    monkeypatch.setattr(MainWindow, "_ask_save_changes", lambda self: discard)
    monkeypatch.setattr(MainWindow, "_ask_restore", lambda self, when: False)
    small = Project(dataset=DatasetSpec(name="shapes", count=60))
    monkeypatch.setattr("desktop.window_files.starter_project", lambda: small)
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    w.navigation.setCurrentRow(PAGE_KEYS.index("training"))  # the remembered page
    data_page = w.ensure_data_page()  # what start_session builds first
    with qtbot.waitSignal(data_page.dataset_loaded, timeout=60_000):
        w.start_session(None)
    w.close()
