"""The Training page: signals in order, Stop mid-run, failures shown, curves."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QUndoStack

from core.augmentation.config import AugmentationConfig
from core.data.load import open_dataset
from core.data.spec import DatasetSpec
from core.runs import RunStore
from core.spec import HeadSpec, ModelSpec
from core.training.config import TrainingConfig
from desktop.pages.training_page import TrainingPage
from tests.tiny_model import tiny_spec

SPEC = tiny_spec(6)


SHAPES = DatasetSpec(name="shapes", count=120)


@pytest.fixture(scope="module")
def shapes():
    return open_dataset(SHAPES)


@pytest.fixture
def page(qtbot, tmp_path, shapes):
    state = {"spec": SPEC, "dataset": shapes}
    p = TrainingPage(
        spec=lambda: state["spec"],
        dataset=lambda: state["dataset"],
        augmentation=AugmentationConfig,
        store=lambda: RunStore(tmp_path / "runs"),
        undo_stack=QUndoStack(),
        dataset_spec=lambda: SHAPES,
    )
    p.state = state
    qtbot.addWidget(p)
    p.apply_config(TrainingConfig(epochs=2, batch_size=16))
    yield p
    p.shutdown()


def test_start_emits_in_order_and_the_chart_holds_the_logs(qtbot, page):
    order = []
    page.bridge.began.connect(lambda *a: order.append("began"))
    page.bridge.epoch_ended.connect(lambda e, logs: order.append(("epoch", e)))
    page.finished.connect(lambda s: order.append("finished"))
    with qtbot.waitSignal(page.finished, timeout=120_000) as blocker:
        page.start_button.click()
    assert order == ["began", ("epoch", 0), ("epoch", 1), "finished"]
    assert "Memory: about" in page.estimate.text()
    assert "per epoch" in page.estimate.text()
    assert "Device: CPU" in page.estimate.text()
    session = blocker.args[0]
    history = session.result.history
    assert page.chart.epochs["loss"] == pytest.approx(history["loss"])
    assert page.chart.epochs["val_accuracy"] == pytest.approx(history["val_accuracy"])
    assert "Test accuracy" in page.results.text()
    assert f"loss {session.evaluation.loss:.4f}" in page.results.text()
    # the best-epoch mark is the epoch whose model the checkpoint kept
    assert page.chart.best_line.value() == session.result.best_epoch + 1
    evaluation = session.evaluation
    view = page.evaluation_view
    assert view.matrix.rowCount() == 6
    assert view.matrix.item(0, 0).text() == f"{evaluation.confusion[0][0]:,}"
    counts = evaluation.confusion
    row, col = max(
        ((i, j) for i in range(6) for j in range(6)), key=lambda c: counts[c[0]][c[1]]
    )
    view.matrix.cellClicked.emit(row, col)
    assert view.images.count() == counts[row][col]
    assert view.per_class.rowCount() == 6
    shown = min(len(evaluation.misclassified), 120)
    assert view.mistakes.count() == shown
    if shown:
        _, true, predicted, _confidence = evaluation.misclassified[0]
        names = page._trained_on.class_names
        assert view.mistakes.item(0).text().startswith(names[predicted])
        assert f"(is {names[true]})" in view.mistakes.item(0).text()
    assert page.start_button.isEnabled()
    assert not page.stop_button.isEnabled()


def test_stop_mid_run(qtbot, page):
    page.apply_config(TrainingConfig(epochs=50, batch_size=4))
    page.bridge.batch_ended.connect(lambda *a: page.stop())
    with qtbot.waitSignal(page.finished, timeout=120_000) as blocker:
        page.start()
    result = blocker.args[0].result
    assert result.cancelled
    assert result.epochs_run < 50
    assert "cancelled" in page.status.text()


def test_a_failing_run_is_reported(qtbot, page):
    page.state["dataset"] = None
    with qtbot.waitSignal(page.failed, timeout=5_000) as blocker:
        page.start()
    assert "No dataset is loaded" in blocker.args[0]
    page.state["spec"] = ModelSpec(SPEC.input, SPEC.layers, HeadSpec(3))
    page.state["dataset"] = open_dataset(DatasetSpec(name="shapes", count=60))
    with qtbot.waitSignal(page.failed, timeout=5_000) as blocker:
        page.start()
    assert "classifies 3 classes but shapes has 6" in blocker.args[0]


def test_settings_edits_are_undoable(page):
    page.epochs.setValue(7)
    page.epochs.setValue(9)
    assert page.config.epochs == 9
    assert page.undo_stack.count() == 1
    page.undo_stack.undo()
    assert page.config.epochs == 2
    assert page.epochs.value() == 2


def test_an_error_inside_the_run_reaches_the_page(qtbot, page, monkeypatch):
    import core.training.session as session

    def boom(*args, **kwargs):
        raise RuntimeError("out of memory while allocating a batch")

    monkeypatch.setattr(session, "run_session", boom)
    with qtbot.waitSignal(page.failed, timeout=30_000) as blocker:
        page.start()
    assert "out of memory" in blocker.args[0]
    assert "Training failed" in page.status.text()
    assert page.start_button.isEnabled()


def stopped_in_second_epoch(qtbot, page):
    """Start a 3-epoch run, press Stop during epoch 2; the finished session."""
    page.apply_config(TrainingConfig(epochs=3, batch_size=8))

    def stop_in_second_epoch(epoch, batch, logs):
        if epoch == 1:
            page.stop()

    page.bridge.batch_ended.connect(stop_in_second_epoch)
    with qtbot.waitSignal(page.finished, timeout=120_000) as blocker:
        page.start()
    page.bridge.batch_ended.disconnect(stop_in_second_epoch)
    return blocker.args[0]


def resume_through_the_dialog(qtbot, page, click, epochs=None):
    """Click a Resume button, set the dialog's epochs, press Resume; the session."""
    click()
    dialog = page.resume_dialog
    assert dialog.isVisible()
    if epochs is not None:
        dialog.epochs.setValue(epochs)
    with qtbot.waitSignal(page.finished, timeout=120_000) as blocker:
        dialog.resume_button.click()
    return blocker.args[0]


def test_resume_after_stop_continues_the_run_as_recorded(qtbot, page):
    assert stopped_in_second_epoch(qtbot, page).result.cancelled
    assert page.resume_button.isEnabled()
    page.batch_size.setValue(4)  # the project changed since: the run did not
    page.state["dataset"] = None  # nor does the data page's current choice
    session = resume_through_the_dialog(qtbot, page, page.resume_button.click, epochs=4)
    result = session.result
    assert result.stop_reason.value == "completed"
    assert result.epochs_run == 4
    assert len(page.chart.epochs["loss"]) == 4  # the chart kept the first part
    assert not page.resume_button.isEnabled()
    [resume] = session.run.record()["resumes"]
    assert resume["changed"] == {"epochs": [3, 4]}
    assert session.run.config()["training"]["batch_size"] == 8


def test_every_switch_reaches_the_config_and_applying_pushes_nothing(page):
    page.tensorboard.setChecked(True)
    page.early_monitor.setCurrentText("val_accuracy")
    assert page.config.tensorboard
    assert page.config.early_stopping_monitor == "val_accuracy"
    count = page.undo_stack.count()
    page.apply_config(TrainingConfig(mixed_precision=True, csv_logger=False))
    assert page.undo_stack.count() == count  # showing a config is not an edit
    assert page.mixed_precision.isChecked()
    assert not page.csv_logger.isChecked()


def test_optimizer_fields_seed_and_restore_best_reach_the_config(page):
    page.optimizer.setCurrentText("sgd")
    assert page.momentum.isEnabled()
    assert page.nesterov.isEnabled()
    assert not page.weight_decay.isEnabled()
    page.momentum.setValue(0.8)
    page.nesterov.setChecked(True)
    page.seed.setValue(42)
    page.early_stopping.setChecked(True)
    assert page.restore_best.isEnabled()
    page.restore_best.setChecked(False)
    cfg = page.config
    assert (cfg.optimizer, cfg.momentum, cfg.nesterov) == ("sgd", 0.8, True)
    assert (cfg.seed, cfg.restore_best_weights) == (42, False)
    page.optimizer.setCurrentText("adamw")
    assert page.weight_decay.isEnabled()
    assert not page.momentum.isEnabled()
    page.weight_decay.setValue(0.01)
    assert page.config.weight_decay == 0.01
    page.apply_config(TrainingConfig(seed=7, momentum=0.5), emit=False)
    assert (page.seed.value(), page.momentum.value()) == (7, 0.5)


def test_a_shown_page_with_data_says_it_is_ready(qtbot, page, shapes):
    page.show()
    qtbot.waitExposed(page)
    assert page.status.text().startswith("Ready: shapes, 96 train")
    assert "Memory: about" in page.estimate.text()


def test_a_killed_run_resumes_from_the_runs_list(qtbot, page):
    run = stopped_in_second_epoch(qtbot, page).run
    (run.path / "run.json").unlink()  # as if the app had been killed
    page._resumable = None  # a new session of the app
    page.chart.clear()
    page.runs_panel.refresh()
    page.runs_panel.table.selectRow(0)
    assert page.runs_panel.resume_button.isEnabled()
    click = page.runs_panel.resume_button.click
    result = resume_through_the_dialog(qtbot, page, click).result
    assert result.epochs_run == 3
    assert len(page.chart.epochs["loss"]) == 3  # its first epoch replayed
    assert page.chart.epochs["loss"] == pytest.approx(result.history["loss"])


def test_switching_the_cache_off_takes_the_data_out_of_the_estimate(page):
    page.refresh_estimate()
    assert "data 0.00 B" not in page.estimate.text()
    page.cache_data.setChecked(False)
    assert page.config.cache_data is False
    assert "data 0.00 B" in page.estimate.text()


def test_stop_does_not_evaluate_until_asked(qtbot, page):
    session = stopped_in_second_epoch(qtbot, page)
    assert session.evaluation is None
    assert "not evaluated on the test set" in page.results.text()
    # The bar stays where the run stopped: it did not train all its epochs.
    assert 0 < page.progress.value() < page.progress.maximum()
    assert page.evaluate_button.isEnabled()
    with qtbot.waitSignal(page.evaluated, timeout=60_000) as blocker:
        page.evaluate_button.click()
    evaluation = blocker.args[0]
    assert "Test accuracy" in page.results.text()
    assert page.evaluation_view.matrix.rowCount() == 6
    assert sum(map(sum, evaluation.confusion)) == 12
    assert (session.run.path / "evaluation.json").is_file()
    assert not page.evaluate_button.isEnabled()
