"""Every page shows the current project only (#25), through the workspace (#24).

A project whose newest run is shown (its curves, "Test accuracy ...", its
model on the Prediction page) is replaced by File > New, a preset, or new
data: nothing of that run stays. A save that moves the runs moves the path
shown; a loaded folder leaves no built-in's name in the Data page's box; a
picked image goes with its data.
"""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QFileDialog

from core.data.spec import DatasetSpec
from core.project import Project, save_project
from core.runs import RunStore
from core.training.config import TrainingConfig
from tests.core.training.test_session import small_spec
from tests.desktop.test_dataset_document import pets

SHAPES = DatasetSpec(name="shapes", count=60)
TRAINING = TrainingConfig(epochs=1, batch_size=16, early_stopping=False)


@pytest.fixture(scope="module")
def trained_project(tmp_path_factory):
    """A saved project with one finished, evaluated run beside it."""
    from core.data.load import open_dataset
    from core.training.session import run_session

    root = tmp_path_factory.mktemp("trained")
    path = root / "tiny.cnnwb.json"
    project = Project("tiny", small_spec(6), SHAPES, training=TRAINING)
    save_project(project, path)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CNN_WORKBENCH_DATA_DIR", str(root / "home"))
        run_session(
            project.model,
            dataset=open_dataset(SHAPES),
            cfg=TRAINING,
            store=RunStore.beside(path),
        )
    return path


def shown_run(window, qtbot, path):
    """Open ``path``: its newest run's curves, figures and model are shown.

    The model arrives from a worker (#25), after the figures.
    """
    assert window.open_project(path)
    results = window.training_page.results_panel
    assert "Test accuracy" in results.summary.text()
    assert len(results.chart.epochs["loss"]) == 1
    assert results.evaluation_view.matrix.rowCount() == 6
    qtbot.waitUntil(lambda: window.prediction_page.model is not None, timeout=60_000)
    return results


def assert_nothing_of_the_run(window) -> None:
    results = window.training_page.results_panel
    assert "Test accuracy" not in results.summary.text()
    assert results.chart.epochs["loss"] == []
    assert results.evaluation_view.matrix.rowCount() == 0
    assert window.prediction_page.model is None
    assert window.prediction_page.model_label.text().startswith("No model")


def test_file_new_shows_nothing_of_the_previous_projects_run(
    window, qtbot, trained_project
):
    shown_run(window, qtbot, trained_project)
    window.new_project()
    assert_nothing_of_the_run(window)


def test_a_preset_shows_nothing_of_the_previous_models_run(
    window, qtbot, trained_project
):
    shown_run(window, qtbot, trained_project)
    window.load_preset("mnist-convnet")
    assert_nothing_of_the_run(window)
    window.dataset_offer.close()


def test_new_data_shows_nothing_of_the_previous_datas_run(
    window, qtbot, trained_project
):
    shown_run(window, qtbot, trained_project)
    with qtbot.waitSignal(window.data_page.dataset_loaded, timeout=60_000):
        window.data_page.load_spec(DatasetSpec(name="shapes", count=30))
    assert_nothing_of_the_run(window)


def test_the_run_path_shown_follows_a_save_that_moves_the_run(
    window, qtbot, tmp_path, monkeypatch
):
    window.document.load(Project("tiny", small_spec(6), SHAPES, training=TRAINING))
    with qtbot.waitSignal(window.data_page.dataset_loaded, timeout=60_000):
        window.show_page("data")
    page = window.training_page
    window.show_page("training")
    with qtbot.waitSignal(page.finished, timeout=600_000) as done:
        page.controls.start_button.click()
    before = done.args[0].run.path
    assert str(before) in page.results_panel.summary.text()
    target = tmp_path / "kept.cnnwb.json"
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), "")
    )
    assert window.save()
    after = RunStore.beside(target).root / before.name
    assert after.is_dir()
    assert not before.exists()
    summary = page.results_panel.summary.text()
    assert str(after) in summary
    assert str(before) not in summary


def test_a_loaded_folder_leaves_no_built_in_name_and_no_old_picked_image(
    shapes_window, qtbot, tmp_path
):
    window, page = shapes_window, shapes_window.data_page
    assert page.source.currentText() == "shapes"
    with qtbot.waitSignal(page.image_picked, timeout=5_000):
        page.grid.clicked.emit(page.grid_model.index(3))
    assert "train" in page.preview_info.text()  # the picked image's split
    with qtbot.waitSignal(page.dataset_loaded, timeout=60_000):
        page.open_folder(str(pets(tmp_path / "pets")))
    assert page.source.currentText() == ""
    assert page.preview_info.text() == ""
    assert page.view.preview.pixmap().isNull()
    window.show_page("model")  # so the starter's data is not loaded meanwhile
    window.new_project()  # the starter's built-in again
    assert page.source.currentText() == "shapes"
