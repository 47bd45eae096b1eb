"""The main window's file handling, as a user meets it."""

from __future__ import annotations

import json

import pytest
from PySide6.QtWidgets import QFileDialog, QMessageBox

from core.document import ProjectDocument
from core.presets import preset
from core.project import Project, save_project
from core.recovery import read_recovery, write_recovery
from desktop.main_window import MainWindow

Button = QMessageBox.StandardButton
STARTER_TOTAL = 171_494  # shapes-starter


@pytest.fixture(autouse=True)
def _no_modal_prompts(monkeypatch):
    """Teardown closes windows: never let a real modal question block the run."""
    monkeypatch.setattr(MainWindow, "_ask_save_changes", lambda self: Button.Discard)
    monkeypatch.setattr(MainWindow, "_ask_restore", lambda self, when: False)


@pytest.fixture
def window(qtbot):
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    w.start_session(None)
    return w


def make_dirty(window):
    window.load_preset("mnist-convnet")


def test_starts_clean_with_a_starter_model(window):
    assert window.document.summary.total == STARTER_TOTAL
    assert not window.is_dirty()
    assert window.windowTitle() == "Untitled[*] — CNN Workbench"
    assert not window.isWindowModified()


def test_edit_marks_unsaved_and_undo_clears_it(window):
    make_dirty(window)
    assert window.isWindowModified()
    assert window.document.summary.total == 93_322
    window.undo_action.trigger()
    assert not window.isWindowModified()
    assert window.document.summary.total == STARTER_TOTAL


def test_save_as_then_open(window, tmp_path, monkeypatch):
    make_dirty(window)
    target = tmp_path / "digits"
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), "")
    )
    assert window.save()
    saved = tmp_path / "digits.cnnwb.json"
    assert json.loads(saved.read_text())["model"]["name"] == "mnist_convnet"
    assert window.windowTitle() == "digits[*] — CNN Workbench"
    assert not window.isWindowModified()
    assert window.recent_files() == [str(saved.resolve())]

    window.new_project()
    assert window.open_project(saved)
    assert window.document.summary.total == 93_322
    assert window.path == saved


def test_close_with_unsaved_changes_asks(window, monkeypatch):
    make_dirty(window)
    monkeypatch.setattr(window, "_ask_save_changes", lambda: Button.Cancel)
    assert not window.close()
    assert window.isVisible()
    monkeypatch.setattr(window, "_ask_save_changes", lambda: Button.Discard)
    assert window.close()


def test_damaged_project_is_refused_with_the_field(window, tmp_path, qtbot):
    path = tmp_path / "bad.cnnwb.json"
    data = Project(model=preset("mnist-convnet")).to_dict()
    data["model"]["layers"][1]["config"]["kernel_size"] = "big"
    path.write_text(json.dumps(data))
    assert not window.open_project(path)
    box = window.findChild(QMessageBox, "errorDialog")
    assert "model.layers[1].config.kernel_size" in box.text()
    assert window.document.summary.total == STARTER_TOTAL  # nothing half-loaded


def test_autosave_and_recovery_offer(qtbot, monkeypatch, tmp_path):
    first = MainWindow()
    qtbot.addWidget(first)
    first.start_session(None)
    make_dirty(first)
    first.autosave()
    assert read_recovery().project.model == preset("mnist-convnet")

    monkeypatch.setattr(MainWindow, "_ask_restore", lambda self, when: True)
    second = MainWindow()
    qtbot.addWidget(second)
    second.start_session(None)
    assert second.document.spec == preset("mnist-convnet")
    assert second.is_dirty()
    monkeypatch.setattr(second, "_ask_save_changes", lambda: Button.Discard)
    second.close()
    assert read_recovery() is None


def test_open_from_command_line_argument(qtbot, tmp_path):
    path = save_project(
        Project("cats", preset("cats-vs-dogs-small")), tmp_path / "c.cnnwb.json"
    )
    w = MainWindow()
    qtbot.addWidget(w)
    w.start_session(str(path))
    assert w.document.summary.total == 3_453_121
    assert w.windowTitle().startswith("cats[*]")


def test_recovery_ignored_when_declined(qtbot, monkeypatch):
    write_recovery(ProjectDocument(Project(model=preset("mnist-convnet"))))
    monkeypatch.setattr(MainWindow, "_ask_restore", lambda self, when: False)
    w = MainWindow()
    qtbot.addWidget(w)
    w.start_session(None)
    assert w.document.summary.total == STARTER_TOTAL
    assert read_recovery() is None


def test_unexpected_error_reaches_a_dialog_with_copy_details(window, qtbot):
    from desktop.app import ErrorNet

    net = ErrorNet()
    net.install()
    try:
        with qtbot.waitSignal(net.raised, timeout=2000):
            try:
                raise RuntimeError("kaboom")
            except RuntimeError as exc:
                import sys

                sys.excepthook(type(exc), exc, exc.__traceback__)
        qtbot.waitUntil(lambda: net.last_dialog is not None, timeout=2000)
        box = net.last_dialog
        assert "RuntimeError: kaboom" in box.text()
        assert any(b.text() == "Copy details" for b in box.buttons())
        assert "Traceback" in box.detailedText()
    finally:
        import sys
        import threading

        sys.excepthook = sys.__excepthook__
        threading.excepthook = threading.__excepthook__


def test_dataset_travels_with_the_project(window, tmp_path):
    from core.data.spec import DatasetSpec

    assert window.document.dataset == DatasetSpec(name="shapes")
    path = save_project(
        Project("digits", preset("mnist-convnet"), DatasetSpec(name="mnist")),
        tmp_path / "d.cnnwb.json",
    )
    window.open_project(path)
    assert window.document.dataset == DatasetSpec(name="mnist")
    window.load_preset("fashion-mnist-cnn")
    window._write(path)
    assert json.loads(path.read_text())["dataset"]["name"] == "mnist"


def test_picking_an_image_in_the_data_page_feeds_the_augmentation_preview(
    window, qtbot
):
    page = window.data_page
    from core.data.spec import DatasetSpec

    with qtbot.waitSignal(page.dataset_loaded, timeout=30_000):
        page.load_spec(DatasetSpec(name="shapes", count=60))
    with qtbot.waitSignal(page.image_picked, timeout=5_000):
        page.grid.clicked.emit(page.grid_model.index(3))
    assert window.augmentation_page.image.shape == (64, 64, 3)
    window.augmentation_page.shutdown()


def test_closing_during_training_asks_stops_cleanly_and_keeps_the_run(
    window, qtbot, monkeypatch
):
    import time

    from core.data.load import open_dataset
    from core.data.spec import DatasetSpec
    from desktop import workers

    window.ensure_data_page()
    # a test split whose evaluation would hold up the close
    spec = DatasetSpec(name="shapes", count=3000, test_fraction=0.5)
    window.workspace.set_dataset(open_dataset(spec), spec)
    page = window.training_page
    asked = []
    monkeypatch.setattr(
        window, "_ask_stop_training", lambda: asked.append(1) or len(asked) > 1
    )
    with qtbot.waitSignal(page.bridge.batch_ended, timeout=120_000):
        page.start()
    assert page.is_running()
    assert not window.close()  # the first answer is "no": training goes on
    assert page.is_running()
    started = time.monotonic()
    assert window.close()  # "yes": stop after the batch, wait, then close
    assert time.monotonic() - started < 5  # promptly: no test set, no dialog
    assert asked == [1, 1]
    assert not page.is_running() or not page.worker._thread.isRunning()
    assert workers.running_threads() == []
    [run] = window.run_store().list()
    assert run.record()["stop_reason"] == "cancelled"
    assert not (run.path / "evaluation.json").exists()  # Stop means stop


def test_training_page_loads_the_projects_data_without_visiting_the_data_page(
    small_starter, window, qtbot
):
    """First start: going straight to Training gets the starter data, so Start works."""
    window.ensure_data_page()
    with qtbot.waitSignal(window.data_page.dataset_loaded, timeout=60_000):
        window.show_page("training")
    qtbot.waitUntil(
        lambda: window.training_page.controls.status.text().startswith("Ready"),
        timeout=10_000,
    )


def test_runs_of_an_earlier_version_show_on_the_runs_tab(qtbot):
    """An older version kept unsaved projects' runs in ``runs/untitled``."""
    from core.paths import user_data_dir
    from core.runs import RunStore

    old = RunStore(user_data_dir() / "runs" / "untitled").create("old", {})
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    w.start_session(None)  # builds the Training page too
    panel = w.training_page.results_panel.runs_panel
    panel.refresh()
    assert panel.table.rowCount() == 1  # the old run, now this project's
    assert old.path.name in {p.name for p in w.document.runs_dir.iterdir()}
    assert w.statusBar().currentMessage().startswith("1 run of an earlier version")


def test_closing_during_a_report_asks_and_stops_it(window, qtbot, monkeypatch):
    """Any heavy job (a data-quality report, a calibration) is asked about as
    training is: No keeps it running, Yes stops it and closes."""
    from desktop import workers
    from desktop.workers_data_quality import HEAVY

    def report(_progress, cancel):  # a report's cooperative cancel
        while not cancel.wait(0.05):
            pass
        return "stopped"

    worker = workers.FunctionWorker(report, HEAVY)
    asked = []
    monkeypatch.setattr(
        window, "_ask_stop_job", lambda busy: asked.append(busy) or len(asked) > 1
    )
    with qtbot.waitSignal(worker.started, timeout=10_000):
        worker.start()
    assert not window.close()  # "no": the report goes on
    assert workers.heavy_job() == HEAVY
    with qtbot.waitSignal(worker.finished, timeout=10_000):
        assert window.close()  # "yes": stopped, then closed
    assert asked == [HEAVY, HEAVY]
    assert worker.cancelled
