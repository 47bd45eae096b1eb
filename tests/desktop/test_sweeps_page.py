"""The Sweeps page through its widgets: tick what varies, run a two-trial
sweep of one-epoch runs on 60 shapes, the table and plot fill, "Use these
settings" and its undo, Stop and Continue, and a missing package greyed out."""

from __future__ import annotations

from dataclasses import replace

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QUndoStack

from core.backbone_table import cached_only
from core.data.load import open_dataset
from core.data.spec import DatasetSpec
from core.document import ProjectDocument
from core.project import Project
from core.runs import RunStore
from core.sweeps import requirements
from core.sweeps.folder import COMPLETED, open_sweep
from core.training.config import TrainingConfig
from desktop.pages.sweeps_page import SweepsPage
from desktop.widgets.sweep_space import NumberRange, ValuesRange
from desktop.workers import heavy_job
from tests.tiny_model import tiny_spec

SHAPES = DatasetSpec(name="shapes", count=60)
RUN_S = 600_000  # ms: two one-epoch trials, niced beside the benchmarks


@pytest.fixture(scope="module")
def data():
    return open_dataset(SHAPES)


@pytest.fixture
def page(qtbot, tmp_path, data):
    project = Project(
        name="tiny",
        model=tiny_spec(6),
        dataset=SHAPES,
        training=TrainingConfig(epochs=1, batch_size=16),
    )
    document = ProjectDocument(project, tables=cached_only)
    p = SweepsPage(
        document,
        QUndoStack(),
        dataset=lambda: data,
        store=lambda: RunStore(tmp_path / "tiny.runs"),
    )
    qtbot.addWidget(p)
    p.resize(1200, 700)
    p.show()
    yield p
    p.shutdown()


def vary_optimizer(page, values=("adam", "sgd")) -> None:
    """Tick the optimizer in the list and keep ``values`` of its choices."""
    page.setup.space.tick("training.optimizer")
    editor = page.setup.space.editor
    assert isinstance(editor, ValuesRange)
    for choice in page.setup.space.settings["training.optimizer"].choices:
        editor.check(choice, choice in values)


def set_trials(page, trials: int) -> None:
    page.setup.form.editors["trials"].spin.setValue(trials)


def test_ticking_a_setting_varies_it_within_its_declared_range(page):
    space = page.setup.space
    assert "training.learning_rate" in space.items
    assert "layers.conv2d_1.filters" in space.items  # a layer's option
    assert space.items["layers.conv2d_1.filters"].parent().text(0) == "conv2d_1"
    assert "training.checkpoint_monitor" not in space.items  # the objective
    assert not page.run_button.isEnabled()  # nothing varies yet
    assert "vary" in page.setup.problem_label.text()

    space.tick("training.learning_rate")
    editor = space.editor
    assert isinstance(editor, NumberRange)
    raw = page.setup.data()["vary"]["training.learning_rate"]
    assert raw["log"] is True
    assert 1e-6 <= raw["min"] < 0.001 < raw["max"] <= 1
    assert space.items["training.learning_rate"].checkState(0) == Qt.CheckState.Checked
    assert page.run_button.isEnabled()

    editor.high.setValue(0.05)  # typed in the editor below the list
    assert page.setup.data()["vary"]["training.learning_rate"]["max"] == 0.05
    assert "0.05" in space.items["training.learning_rate"].text(1)

    set_trials(page, 0)  # no budget: refused with core's own line
    assert not page.run_button.isEnabled()
    assert "budget" in page.setup.problem_label.text()
    set_trials(page, 3)
    space.tick("training.learning_rate", False)
    assert page.setup.data()["vary"] == {}
    assert not page.run_button.isEnabled()


def test_a_missing_package_greys_its_search_out_with_the_install_line(
    qtbot, monkeypatch, tmp_path, data
):
    real = requirements.installed
    monkeypatch.setattr(requirements, "installed", lambda m: m != "sklearn" and real(m))
    document = ProjectDocument(Project(model=tiny_spec(6)), tables=cached_only)
    p = SweepsPage(
        document, QUndoStack(), lambda: data, lambda: RunStore(tmp_path / "r")
    )
    qtbot.addWidget(p)
    combo = p.setup.form.editors["algorithm"].combo
    item = combo.model().item(combo.findText("bayesian"))
    assert not item.isEnabled()
    assert requirements.INSTALL_COMMAND in item.toolTip()
    assert combo.model().item(combo.findText("random")).isEnabled()


def test_a_two_trial_sweep_fills_the_table_and_use_is_one_undo_step(
    qtbot, page, tmp_path, monkeypatch
):
    vary_optimizer(page)
    set_trials(page, 2)
    assert page.run_button.isEnabled(), page.setup.problem_label.toolTip()
    ended = []
    page.bridge.trial_ended.connect(lambda trial, progress: ended.append(trial))
    with qtbot.waitSignal(page.finished, timeout=RUN_S) as done:
        page.run_button.click()
        assert heavy_job() == "A sweep"
        assert not page.run_button.isEnabled()
        assert page.stop_button.isEnabled()
    outcome = done.args[0]
    assert [t.status for t in outcome.trials] == [COMPLETED, COMPLETED]
    assert len(ended) == 2
    assert "trials are spent" in page.status.text()

    table = page.results.table
    assert table.rowCount() == 2
    headings = [
        table.horizontalHeaderItem(c).text() for c in range(table.columnCount())
    ]
    assert headings[:4] == ["trial", "status", "optimizer", "val accuracy"]
    assert {table.item(r, 1).text() for r in range(2)} == {COMPLETED}
    table.sortItems(3, Qt.SortOrder.DescendingOrder)  # a click on the score's header
    scores = [float(table.item(r, 3).text()) for r in range(2)]
    assert scores == sorted(scores, reverse=True)
    assert len(page.results.plot.scatters["training.optimizer"].xData) == 2
    runs = RunStore(tmp_path / "tiny.runs").list()
    assert sorted(r.name for r in runs) == sorted(t.run for t in outcome.trials)
    assert not page.continue_button.isVisible()  # the sweep finished

    csv = tmp_path / "trials.csv"
    monkeypatch.setattr(
        "desktop.widgets.sweep_results.QFileDialog.getSaveFileName",
        lambda *a, **k: (str(csv), ""),
    )
    page.results.export_button.click()
    assert csv.read_text().splitlines()[0].startswith("trial,status,training.optimizer")

    sgd = next(t for t in outcome.trials if t.values["training.optimizer"] == "sgd")
    before = page.document.project()
    page.results.select_trial(sgd.number)
    assert page.results.use_button.isEnabled()
    page.results.use_button.click()
    assert page.document.training.optimizer == "sgd"
    assert page.undo_stack.count() == 1
    page.undo_stack.undo()  # what Ctrl+Z does in the window
    assert page.document.project() == before


def test_stop_keeps_the_sweep_and_continue_finishes_it(qtbot, page, tmp_path):
    vary_optimizer(page)
    set_trials(page, 2)
    with qtbot.waitSignal(page.bridge.trial_began, timeout=RUN_S):
        page.run_button.click()
    with qtbot.waitSignal(page.finished, timeout=RUN_S) as done:
        page.stop_button.click()
    assert done.args[0].stopped
    folder = open_sweep(tmp_path / "tiny.runs", "sweep-1")
    assert folder.record()["state"] == "stopped"
    assert page.continue_button.isVisible()
    assert page.continue_button.isEnabled()
    assert "Continue" in page.results.summary.text()

    with qtbot.waitSignal(page.finished, timeout=RUN_S) as done:
        page.continue_button.click()
    outcome = done.args[0]
    assert not outcome.stopped
    assert [t.status for t in outcome.trials] == [COMPLETED, COMPLETED]
    assert folder.record()["state"] == "finished"
    assert not page.continue_button.isVisible()
    assert page.results.table.rowCount() == 2


def test_closing_the_window_mid_sweep_stops_it_and_keeps_it(
    shapes_window, qtbot, monkeypatch
):
    from desktop.main_window import MainWindow

    window = shapes_window
    document = window.document
    document.set_training(replace(document.training, epochs=1, batch_size=16))
    window.show_page("sweeps")
    page = window.sweeps_page
    vary_optimizer(page)
    set_trials(page, 2)
    asked = []
    monkeypatch.setattr(
        MainWindow, "_ask_stop_sweep", lambda self: asked.append(1) or True
    )
    with qtbot.waitSignal(page.bridge.trial_began, timeout=RUN_S):
        page.run_button.click()
    window.close()  # asks, stops the trial after its batch and waits for it
    assert asked == [1]
    assert page.worker is None or page.worker.done
    folder = open_sweep(window.workspace.run_store().root, "sweep-1")
    assert folder.record()["state"] == "stopped"  # Continue goes on from here
    [trial] = folder.trials()
    assert trial.status != COMPLETED
