"""The Training page's "Find learning rate": the test runs as the heavy job,
its curve and suggestion show, "Use" sets the rate and Ctrl+Z restores it;
Cancel mid-way changes nothing."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QUndoStack

from core.backbone_table import cached_only
from core.data.load import open_dataset
from core.data.spec import DatasetSpec
from core.document import ProjectDocument
from core.project import Project
from core.runs import RunStore
from core.training.config import TrainingConfig
from core.training.lr_finder_result import load_result
from desktop.pages.training_page import TrainingPage
from desktop.workers import heavy_job
from tests.tiny_model import tiny_spec

SHAPES = DatasetSpec(name="shapes", count=60)


@pytest.fixture
def page(qtbot, tmp_path):
    project = Project(
        model=tiny_spec(6), dataset=SHAPES, training=TrainingConfig(batch_size=16)
    )
    document = ProjectDocument(project, tables=cached_only)
    data = open_dataset(SHAPES)
    p = TrainingPage(
        document,
        QUndoStack(),
        dataset=lambda: data,
        store=lambda: RunStore(tmp_path / "runs"),
    )
    qtbot.addWidget(p)
    p.show()
    yield p
    p.shutdown()


def test_find_shows_the_curve_and_use_sets_the_rate_undoably(qtbot, page, tmp_path):
    before = page.document.project()
    page.find_lr_button.click()
    view = page.lr_finder
    assert heavy_job() == "The learning-rate finder"
    assert not page.find_lr_button.isEnabled()
    with qtbot.waitSignal(view.worker.finished, timeout=180_000):
        pass
    test = view.test
    assert test is not None
    assert test.suggestion is not None
    assert list(view.curve.xData) == test.learning_rates
    assert list(view.curve.yData) == test.smoothed
    assert list(view.marker.xData) == [test.suggestion]
    assert view.plot.getPlotItem().ctrl.logXCheck.isChecked()
    assert page.document.project() == before  # the test alone changes nothing
    assert load_result(tmp_path / "runs").suggestion == test.suggestion
    assert view.use_button.isEnabled()
    view.use_button.click()
    assert page.document.training.learning_rate == test.suggestion
    assert page.undo_stack.count() == 1
    page.undo_stack.undo()  # what Ctrl+Z triggers in the window
    assert page.document.project() == before
    assert page.find_lr_button.isEnabled()


def test_cancel_midway_leaves_the_project_and_its_runs_untouched(qtbot, page, tmp_path):
    before = page.document.project()
    page.find_lr_button.click()
    view = page.lr_finder
    batches = []
    view.bridge.batch_ended.connect(lambda e, b, logs: batches.append(b))
    qtbot.waitUntil(lambda: len(batches) >= 3, timeout=180_000)
    with qtbot.waitSignal(view.worker.finished, timeout=60_000) as done:
        view.cancel_button.click()
    assert done.args[0].stop == "cancelled"
    assert "Cancelled" in view.status.text()
    assert not view.use_button.isEnabled()
    assert page.document.project() == before
    assert page.undo_stack.count() == 0
    assert load_result(tmp_path / "runs") is None
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_closing_the_dialog_midway_stops_the_test(qtbot, page):
    page.find_lr_button.click()
    view = page.lr_finder
    batches = []
    view.bridge.batch_ended.connect(lambda e, b, logs: batches.append(b))
    qtbot.waitUntil(lambda: len(batches) >= 2, timeout=180_000)
    with qtbot.waitSignal(view.ended, timeout=60_000):
        view.close_button.click()
    assert not view.isVisible()
    assert view.worker is None
    assert heavy_job() is None or not view.is_running()
    assert page.find_lr_button.isEnabled()
