"""The Training page: signals in order, Stop mid-run, failures shown, curves."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QUndoStack

from core.backbone_table import cached_only
from core.data.load import open_dataset
from core.data.spec import DatasetSpec
from core.document import ProjectDocument
from core.project import Project
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


def project_document(spec, training=None, dataset=None):
    """A document holding ``spec`` (and settings), as the window would."""
    project = Project(
        model=spec, dataset=dataset, training=training or TrainingConfig()
    )
    return ProjectDocument(project, tables=cached_only)


@pytest.fixture
def page(qtbot, tmp_path, shapes):
    state = {"dataset": shapes}
    document = project_document(SPEC, TrainingConfig(epochs=2, batch_size=16), SHAPES)
    p = TrainingPage(
        document,
        QUndoStack(),
        dataset=lambda: state["dataset"],
        store=lambda: RunStore(tmp_path / "runs"),
    )
    p.state = state
    qtbot.addWidget(p)
    yield p
    p.shutdown()


def editor(page, name):
    """The widget a user edits ``name`` with (spin box, check box, combo, line)."""
    e = page.form.editors[name]
    return getattr(e, "spin", None) or getattr(e, "check", None) or e.combo or e.line


def test_start_emits_in_order_and_the_chart_holds_the_logs(qtbot, page):
    order = []
    page.bridge.began.connect(lambda *a: order.append("began"))
    page.bridge.epoch_ended.connect(lambda e, logs: order.append(("epoch", e)))
    page.finished.connect(lambda s: order.append("finished"))
    with qtbot.waitSignal(page.finished, timeout=120_000) as blocker:
        page.controls.start_button.click()
    assert order == ["began", ("epoch", 0), ("epoch", 1), "finished"]
    assert "Memory: about" in page.controls.estimate.text()
    assert "per epoch" in page.controls.estimate.text()
    assert "Device: CPU" in page.controls.estimate.text()
    session = blocker.args[0]
    history = session.result.history
    assert page.results_panel.chart.epochs["loss"] == pytest.approx(history["loss"])
    assert page.results_panel.chart.epochs["val_accuracy"] == pytest.approx(
        history["val_accuracy"]
    )
    assert "Test accuracy" in page.results_panel.summary.text()
    assert f"loss {session.evaluation.loss:.4f}" in page.results_panel.summary.text()
    # the best-epoch mark is the epoch whose model the checkpoint kept
    assert page.results_panel.chart.best_line.value() == session.result.best_epoch + 1
    evaluation = session.evaluation
    view = page.results_panel.evaluation_view
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
        names = session.dataset.class_names
        assert view.mistakes.item(0).text().startswith(names[predicted])
        assert f"(is {names[true]})" in view.mistakes.item(0).text()
    assert page.controls.start_button.isEnabled()
    assert not page.controls.stop_button.isEnabled()


def test_stop_mid_run(qtbot, page):
    page.document.set_training(TrainingConfig(epochs=50, batch_size=4))
    page.bridge.batch_ended.connect(lambda *a: page.stop())
    with qtbot.waitSignal(page.finished, timeout=120_000) as blocker:
        page.start()
    result = blocker.args[0].result
    assert result.cancelled
    assert result.epochs_run < 50
    assert "cancelled" in page.controls.status.text()


def test_a_failing_run_is_reported(qtbot, page):
    page.state["dataset"] = None
    with qtbot.waitSignal(page.failed, timeout=5_000) as blocker:
        page.start()
    assert "No dataset is loaded" in blocker.args[0]
    page.document.set_spec(ModelSpec(SPEC.input, SPEC.layers, HeadSpec(3)))
    page.state["dataset"] = open_dataset(DatasetSpec(name="shapes", count=60))
    with qtbot.waitSignal(page.failed, timeout=5_000) as blocker:
        page.start()
    assert "classifies 3 classes but shapes has 6" in blocker.args[0]


def test_settings_edits_are_undoable(page):
    editor(page, "epochs").setValue(7)
    editor(page, "epochs").setValue(9)
    assert page.document.training.epochs == 9
    assert page.undo_stack.count() == 1
    page.undo_stack.undo()
    assert page.document.training.epochs == 2
    assert editor(page, "epochs").value() == 2


def test_an_error_inside_the_run_reaches_the_page(qtbot, page, monkeypatch):
    import core.training.session as session

    def boom(*args, **kwargs):
        raise RuntimeError("out of memory while allocating a batch")

    monkeypatch.setattr(session, "run_session", boom)
    with qtbot.waitSignal(page.failed, timeout=30_000) as blocker:
        page.start()
    assert "out of memory" in blocker.args[0]
    assert "Training failed" in page.controls.status.text()
    assert page.controls.start_button.isEnabled()


def stopped_in_second_epoch(qtbot, page):
    """Start a 3-epoch run, press Stop during epoch 2; the finished session."""
    page.document.set_training(TrainingConfig(epochs=3, batch_size=8))

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
    assert page.controls.resume_button.isEnabled()
    editor(page, "batch_size").setValue(4)  # the project changed since: the run did not
    page.state["dataset"] = None  # nor does the data page's current choice
    session = resume_through_the_dialog(
        qtbot, page, page.controls.resume_button.click, epochs=4
    )
    result = session.result
    assert result.stop_reason.value == "completed"
    assert result.epochs_run == 4
    # the chart kept the first part
    assert len(page.results_panel.chart.epochs["loss"]) == 4
    assert not page.controls.resume_button.isEnabled()
    [resume] = session.run.record()["resumes"]
    assert resume["changed"] == {"epochs": [3, 4]}
    assert session.run.config()["training"]["batch_size"] == 8


def test_every_switch_reaches_the_config_and_applying_pushes_nothing(page):
    editor(page, "tensorboard").setChecked(True)
    editor(page, "early_stopping_monitor").setCurrentText("val_accuracy")
    assert page.document.training.tensorboard
    assert page.document.training.early_stopping_monitor == "val_accuracy"
    count = page.undo_stack.count()
    page.document.set_training(TrainingConfig(jit_compile=True, csv_logger=False))
    assert page.undo_stack.count() == count  # showing a config is not an edit
    assert editor(page, "jit_compile").isChecked()
    assert not editor(page, "csv_logger").isChecked()


def test_optimizer_fields_seed_and_restore_best_reach_the_config(page):
    editor(page, "optimizer").setCurrentText("sgd")
    assert editor(page, "momentum").isEnabled()
    assert editor(page, "nesterov").isEnabled()
    assert not editor(page, "weight_decay").isEnabled()
    editor(page, "momentum").setValue(0.8)
    editor(page, "nesterov").setChecked(True)
    editor(page, "seed").setValue(42)
    editor(page, "early_stopping").setChecked(True)
    assert editor(page, "restore_best_weights").isEnabled()
    editor(page, "restore_best_weights").setChecked(False)
    cfg = page.document.training
    assert (cfg.optimizer, cfg.momentum, cfg.nesterov) == ("sgd", 0.8, True)
    assert (cfg.seed, cfg.restore_best_weights) == (42, False)
    editor(page, "optimizer").setCurrentText("adamw")
    assert editor(page, "weight_decay").isEnabled()
    assert not editor(page, "momentum").isEnabled()
    editor(page, "weight_decay").setValue(0.01)
    assert page.document.training.weight_decay == 0.01
    page.document.set_training(TrainingConfig(seed=7, momentum=0.5))
    assert (editor(page, "seed").value(), editor(page, "momentum").value()) == (7, 0.5)


def test_a_shown_page_with_data_says_it_is_ready(qtbot, page, shapes):
    page.show()
    qtbot.waitExposed(page)
    assert page.controls.status.text().startswith("Ready: shapes, 96 train")
    assert "Memory: about" in page.controls.estimate.text()


def test_a_killed_run_resumes_from_the_runs_list(qtbot, page):
    run = stopped_in_second_epoch(qtbot, page).run
    (run.path / "run.json").unlink()  # as if the app had been killed
    page._resumable = None  # a new session of the app
    page.results_panel.chart.clear()
    page.results_panel.runs_panel.refresh()
    page.results_panel.runs_panel.table.selectRow(0)
    assert page.results_panel.runs_panel.resume_button.isEnabled()
    click = page.results_panel.runs_panel.resume_button.click
    result = resume_through_the_dialog(qtbot, page, click).result
    assert result.epochs_run == 3
    assert len(page.results_panel.chart.epochs["loss"]) == 3  # its first epoch replayed
    assert page.results_panel.chart.epochs["loss"] == pytest.approx(
        result.history["loss"]
    )


def test_switching_the_cache_off_takes_the_data_out_of_the_estimate(page):
    page.refresh_estimate()
    assert "data 0.00 B" not in page.controls.estimate.text()
    editor(page, "cache_data").setChecked(False)
    assert page.document.training.cache_data is False
    assert "data 0.00 B" in page.controls.estimate.text()


def test_stop_does_not_evaluate_until_asked(qtbot, page):
    session = stopped_in_second_epoch(qtbot, page)
    assert session.evaluation is None
    assert "not evaluated on the test set" in page.results_panel.summary.text()
    # The bar stays where the run stopped: it did not train all its epochs.
    assert 0 < page.controls.progress.value() < page.controls.progress.maximum()
    assert page.results_panel.evaluate_button.isEnabled()
    with qtbot.waitSignal(page.evaluated, timeout=60_000) as blocker:
        page.results_panel.evaluate_button.click()
    evaluation = blocker.args[0]
    assert "Test accuracy" in page.results_panel.summary.text()
    assert page.results_panel.evaluation_view.matrix.rowCount() == 6
    assert sum(map(sum, evaluation.confusion)) == 12
    assert list((session.run.path / "evaluations").glob("*.json"))
    assert not page.results_panel.evaluate_button.isEnabled()


def test_a_closed_page_stops_following_the_document(qtbot, tmp_path, delete_now):
    document = project_document(SPEC)
    page = TrainingPage(
        document, QUndoStack(), dataset=lambda: None, store=lambda: RunStore(tmp_path)
    )
    delete_now(page)
    assert len(document.events.training) == len(document.events.model) == 0


def test_preparing_says_what_the_run_does(qtbot, page):
    """Not a bare 'Preparing (the first run loads TensorFlow)…' for every run."""
    shown: list[str] = []
    page.bridge.stage.connect(lambda _stage: shown.append(page.controls.status.text()))
    with qtbot.waitSignal(page.finished, timeout=120_000):
        page.start()
    assert "Preparing: building the data pipeline…" in shown
    assert "Preparing: building the model…" in shown
    assert shown[-1] == "Preparing: measuring a few batches…"
