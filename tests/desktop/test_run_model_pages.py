"""The pages show and hand out the run's model (``core.run_model``), and say so.

After a run that kept a best checkpoint, the Training page's test figures, the
Prediction page's "last run" model, and the Runs tab's Open/Export are the
best model; the final weights are offered only under that name. A reopened
project shows its newest run's results and model as before quitting.

The project trains a tiny model on 120 shapes for 3 epochs: its validation
accuracy stays at chance, so the best model is epoch 1's and the final
weights differ from it (see tests/reliability/test_run_model.py).
"""

from __future__ import annotations

import numpy as np
import pytest

from core.data.spec import DatasetSpec
from core.model_files.loading import load_model_file
from core.project import Project, save_project
from core.runs import RunStore
from core.training.config import TrainingConfig
from desktop.widgets.evaluation_view import MAX_IMAGES
from tests.core.training.test_session import small_spec

SHAPES = DatasetSpec(name="shapes", count=120)
TRAINING = TrainingConfig(epochs=3, batch_size=16, early_stopping=False)


@pytest.fixture
def project_file(tmp_path):
    path = tmp_path / "tiny.cnnwb.json"
    project = Project("tiny", small_spec(6), SHAPES, training=TRAINING)
    save_project(project, path)
    return path


def _same_weights(model, path) -> bool:
    kept = load_model_file(path).get_weights()
    mine = model.get_weights()
    return len(kept) == len(mine) and all(
        np.array_equal(a, b) for a, b in zip(mine, kept, strict=True)
    )


def test_after_training_every_page_shows_and_hands_out_the_best_model(
    window, qtbot, project_file
):
    assert window.open_project(project_file)
    with qtbot.waitSignal(window.data_page.dataset_loaded, timeout=60_000):
        window.navigation.setCurrentRow(1)
    page = window.training_page
    window.show_page("training")
    with qtbot.waitSignal(page.finished, timeout=600_000) as done:
        page.controls.start_button.click()
    run = done.args[0].run
    best, final = run.path / "best.keras", run.path / "last.keras"
    assert run.record()["best_epoch"] < run.record()["epochs_run"] - 1
    summary = page.results_panel.summary.text()
    assert "(best model)" in summary
    assert f"{run.evaluation()['accuracy']:.3f}" in summary
    assert run.evaluation()["model"] == "best"
    prediction = window.prediction_page
    assert _same_weights(prediction.model, best)
    assert not _same_weights(prediction.model, final)
    assert "best model" in prediction.model_label.text()
    # The Runs tab: the run's model first, the other weights by their name.
    panel = page.results_panel.runs_panel
    panel.refresh()
    panel.table.selectRow(0)
    names = [panel.model_box.itemText(i) for i in range(panel.model_box.count())]
    assert names[0].startswith("best model")
    assert names[1:] == ["final weights"]
    with qtbot.waitSignal(panel.export_model, timeout=1000) as picked:
        panel.export_model_button.click()
    assert picked.args[0] == str(best)
    panel.model_box.setCurrentIndex(1)
    with qtbot.waitSignal(panel.open_model, timeout=1000) as picked:
        panel.open_button.click()
    assert picked.args[0] == str(final)
    label = prediction.model_label
    qtbot.waitUntil(lambda: "final weights" in label.text(), timeout=60_000)
    assert _same_weights(prediction.model, final)
    assert f"{run.name} · final weights" in prediction.model_label.text()
    assert window.export_source().name.endswith("-final-weights")
    columns = range(panel.table.columnCount())
    header = [panel.table.horizontalHeaderItem(c).text() for c in columns]
    assert panel.table.item(0, header.index("tested model")).text() == "best model"


def test_a_reopened_project_shows_its_newest_run_and_its_model(
    window, qtbot, project_file
):
    from core.data.load import open_dataset
    from core.training.session import run_session

    store = RunStore.beside(project_file)
    out = run_session(
        small_spec(6),
        dataset=open_dataset(SHAPES),
        cfg=TRAINING,
        store=store,
        data_spec=SHAPES,
    )
    run = out.run
    assert window.open_project(project_file)
    page = window.training_page
    results = page.results_panel
    assert len(results.chart.epochs["loss"]) == 3
    summary = results.summary.text()
    assert f"Test accuracy {out.evaluation.accuracy:.3f}</b> (best model)" in summary
    assert results.evaluation_view.matrix.rowCount() == 6
    counts = [
        int(results.evaluation_view.matrix.item(i, j).text())
        for i in range(6)
        for j in range(6)
    ]
    assert counts == [v for row in out.evaluation.confusion for v in row]
    prediction = window.prediction_page  # its model comes from a worker (#25)
    qtbot.waitUntil(lambda: prediction.model is not None, timeout=60_000)
    assert _same_weights(prediction.model, run.path / "best.keras")
    assert f"{run.name} · best model" in prediction.model_label.text()
    # Once its images are loaded, the mistakes are drawn too.
    with qtbot.waitSignal(window.data_page.dataset_loaded, timeout=60_000):
        window.navigation.setCurrentRow(1)
    mistakes = len(out.evaluation.misclassified)
    assert results.evaluation_view.mistakes.count() == min(mistakes, MAX_IMAGES)
