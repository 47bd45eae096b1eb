"""The Runs tab as it is in the window at 1366x768 (#25): beside the Training
page's settings it has about 770 px, so the figures a comparison is for come
first and the picked model's box says its name whole (screenshots in
tests/artifacts, checked by eye)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QApplication

from core.run_model import FILES
from tests.desktop.test_augmentation_grid_fit import drawn
from tests.desktop.test_window_fits import shows_whole

ARTIFACTS = Path(__file__).parents[1] / "artifacts"


def test_the_test_accuracy_and_the_picked_model_show_without_scrolling(
    shapes_window, qtbot
):
    window = shapes_window
    store = window.workspace.run_store()
    run = store.create("shapes_starter", {"training": {}})
    history = {"loss": [1.2, 0.8], "val_loss": [1.1, 0.9]}
    store.finish(run, {"epochs_run": 2, "history": history, "best_epoch": 1})
    for name in FILES.values():
        (run.path / name).write_bytes(b"")  # the box lists the files it finds
    window.resize(1366, 768)
    window.show_page("training")
    results = window.training_page.results_panel
    panel = results.runs_panel
    results.bottom_tabs.setCurrentWidget(panel)
    panel.refresh()
    panel.table.selectRow(0)
    qtbot.waitUntil(panel.isVisible)
    QApplication.processEvents()
    ARTIFACTS.mkdir(exist_ok=True)
    window.grab().save(str(ARTIFACTS / "runs-tab-in-window.png"))
    table = panel.table
    headers = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    for name in ("run", "test accuracy", "val accuracy"):
        column = headers.index(name)
        right = table.columnViewportPosition(column) + table.columnWidth(column)
        assert 0 <= right <= table.viewport().width(), name
    assert panel.model_box.count() == 2
    assert shows_whole(panel.model_box), panel.model_box.currentText()
    # The loaded data's augmentation preview, drawn meanwhile, ends first.
    qtbot.waitUntil(lambda: drawn(window.augmentation_page), timeout=600_000)
