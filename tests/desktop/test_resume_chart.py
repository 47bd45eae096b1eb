"""A resumed run's live chart shows exactly its history (#25).

After Stop at epoch 9 of 30 and Resume to 14, every curve got a straight
segment from epoch 10 to 14 beside the real zig-zag: the chart must hold one
point per epoch of the run's history, in order, with the history's values.
Driven through the main window as a user does: Start, Stop, Resume; and the
chart alone when its seed from the history file already holds an epoch that
then arrives live (the file read after the worker wrote that epoch).
"""

from __future__ import annotations

import numpy as np
import pytest

from core.data.spec import DatasetSpec
from core.project import Project, save_project
from core.training.config import TrainingConfig
from desktop.widgets.training_chart import SERIES, TrainingChart
from tests.tiny_model import tiny_spec

STOP_IN_EPOCH = 9  # 0-based: Stop while the tenth epoch trains, nine are done
RESUME_TO = 14


@pytest.fixture
def project(tmp_path):
    project = Project(
        name="resumed",
        model=tiny_spec(),
        dataset=DatasetSpec(name="shapes", count=60),
        training=TrainingConfig(epochs=30, batch_size=8, early_stopping=False),
    )
    return save_project(project, tmp_path / "resumed.cnnwb.json")


def chart_points(chart, qtbot):
    """Each curve's drawn (x, y), once the chart's timer has redrawn it."""
    qtbot.waitUntil(lambda: not chart._dirty, timeout=5_000)
    return {key: curve.getData() for key, curve in chart.epoch_curves.items()}


def assert_chart_is_history(chart, history, qtbot) -> None:
    epochs = len(history["loss"])
    for key, (x, y) in chart_points(chart, qtbot).items():
        assert list(x) == list(range(1, epochs + 1)), key  # strictly increasing
        np.testing.assert_allclose(y, history[key], rtol=1e-6, err_msg=key)
    assert set(SERIES) <= set(history)


def test_a_resumed_runs_chart_is_its_history(window, qtbot, project):
    assert window.open_project(project)
    with qtbot.waitSignal(window.data_page.dataset_loaded, timeout=60_000):
        window.navigation.setCurrentRow(1)  # the data loads when shown
    window.navigation.setCurrentRow(3)
    page = window.training_page
    chart = page.results_panel.chart

    def stop_in_tenth_epoch(epoch, batch, logs):
        if epoch >= STOP_IN_EPOCH:
            page.controls.stop_button.click()

    page.bridge.batch_ended.connect(stop_in_tenth_epoch)
    with qtbot.waitSignal(page.finished, timeout=300_000) as stopped:
        page.controls.start_button.click()
    page.bridge.batch_ended.disconnect(stop_in_tenth_epoch)
    run = stopped.args[0].run
    assert stopped.args[0].result.cancelled
    assert_chart_is_history(chart, run.history(), qtbot)

    live: list[int] = []
    page.bridge.epoch_ended.connect(lambda epoch, logs: live.append(epoch))
    page.controls.resume_button.click()
    dialog = page.resume_dialog
    dialog.epochs.setValue(RESUME_TO)
    with qtbot.waitSignal(page.finished, timeout=300_000) as resumed:
        dialog.resume_button.click()
    assert resumed.args[0].result.stop_reason.value == "completed"
    history = run.history()
    assert len(history["loss"]) == RESUME_TO
    assert live == list(range(RESUME_TO - len(live), RESUME_TO))
    assert_chart_is_history(chart, history, qtbot)
    assert_chart_is_history(chart, run.logged_history(), qtbot)  # the CSV too


def test_an_epoch_seeded_and_then_arriving_live_is_one_point(qtbot):
    rng = np.random.default_rng(0)
    history = {key: list(rng.random(RESUME_TO)) for key in SERIES}
    chart = TrainingChart()
    qtbot.addWidget(chart)
    chart.begin(RESUME_TO, "val_accuracy")
    seeded = STOP_IN_EPOCH + 2  # the file already held the resume's first epochs
    for epoch in range(seeded):
        chart.add_epoch(epoch, {k: v[epoch] for k, v in history.items()})
    for epoch in range(STOP_IN_EPOCH, RESUME_TO):  # the resumed epochs, live
        chart.add_epoch(epoch, {k: v[epoch] for k, v in history.items()})
    assert_chart_is_history(chart, history, qtbot)
