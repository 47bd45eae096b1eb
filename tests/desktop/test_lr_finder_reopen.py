"""The learning-rate finder's kept result (``NAME.runs/lr-finder/result.json``)
is shown again when its project is reopened, "Use" sets it undoably, and another
project shows none of it (#27)."""

from __future__ import annotations

import numpy as np
import pytest

from core.presets import starter_project
from core.project import save_project
from core.runs import RunStore
from core.training.lr_finder_result import RangeTest, result_path, save_result

SUGGESTION = 0.00316


def a_kept_test() -> RangeTest:
    """A finished range test as ``find_learning_rate`` keeps it."""
    rates = [float(r) for r in np.geomspace(1e-7, 10, 60)]
    losses = [float(1.8 - 1.2 / (1 + np.exp(-4 * (np.log10(r) + 3)))) for r in rates]
    return RangeTest(
        learning_rates=rates,
        losses=losses,
        smoothed=losses,
        suggestion=SUGGESTION,
        stop="completed",
        batches=60,
        about={
            "model": "shapes_starter",
            "dataset": "shapes",
            "optimizer": "adam",
            "batch_size": 32,
            "when": "2026-12-07T09:30:12+00:00",
        },
    )


@pytest.fixture
def projects(tmp_path):
    """Two saved projects; the first has a kept range test beside it."""
    tested, other = tmp_path / "tested.cnnwb.json", tmp_path / "other.cnnwb.json"
    save_project(starter_project(), tested)
    save_project(starter_project(), other)
    save_result(a_kept_test(), RunStore.beside(tested).root)
    return tested, other


def test_reopening_the_project_shows_its_kept_result_again(window, qtbot, projects):
    tested, _ = projects
    page = window.training_page
    assert page.last_lr_button.isHidden()  # the starter project has none
    assert window.open_project(tested, ask=False)
    button = page.last_lr_button
    assert not button.isHidden()
    assert button.isEnabled()
    assert button.text() == "Last: 0.00316"
    assert "2026-12-07 09:30 UTC" in button.toolTip()
    button.click()  # the page unshown: going there would load the images
    view = page.lr_finder
    qtbot.waitUntil(view.isVisible)
    kept = a_kept_test()
    assert list(view.curve.xData) == kept.learning_rates
    assert list(view.curve.yData) == kept.smoothed
    assert list(view.marker.xData) == [SUGGESTION]
    assert (
        "Measured 2026-12-07 09:30 UTC (shapes_starter on shapes" in view.status.text()
    )
    assert "0.00316" in view.status.text()
    assert not view.cancel_button.isEnabled()
    before = window.document.training
    view.use_button.click()
    assert window.document.training.learning_rate == SUGGESTION
    window.undo_stack.undo()
    assert window.document.training == before
    view.close_button.click()


def test_another_project_shows_none_of_it(window, projects):
    tested, other = projects
    page = window.training_page
    assert window.open_project(tested, ask=False)
    assert not page.last_lr_button.isHidden()
    assert window.open_project(other, ask=False)  # a saved project without one
    assert page.last_lr_button.isHidden()
    assert page.last_lr_test is None
    assert window.open_project(tested, ask=False)
    window.new_project(ask=False)  # File > New: an untitled project
    assert page.last_lr_button.isHidden()
    assert page.last_lr_test is None
    page.show_last_lr_result()  # nothing to show: no dialog
    assert page.lr_finder is None


def test_an_unreadable_kept_result_shows_no_button(window, projects):
    tested, _ = projects
    path = result_path(RunStore.beside(tested).root)
    path.write_text("{not json", encoding="utf-8")
    assert window.open_project(tested, ask=False)
    assert window.training_page.last_lr_button.isHidden()
    assert path.read_text(encoding="utf-8") == "{not json"  # left for the next test
