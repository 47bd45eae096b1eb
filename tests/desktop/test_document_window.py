"""The window works on one project document: what a user sees of that.

Undo of a dataset choice, a relocated dataset folder, and the runs of a
project that had no file yet: each once went wrong because the window and the
pages kept their own copies of the project.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtWidgets import QFileDialog

from core.data.spec import DatasetSpec
from core.project import Project, save_project
from core.runs import RunStore
from core.training.config import TrainingConfig
from desktop.undo_commands import SetSpec
from tests.tiny_model import tiny_spec


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "pets"
    for c, name in enumerate(("cat", "dog", "fox")):
        (root / name).mkdir(parents=True)
        for k in range(3):
            pixels = np.full((20, 24, 3), c * 60 + k, np.uint8)
            Image.fromarray(pixels).save(root / name / f"{k}.png")
    return root


def test_undo_of_a_dataset_choice_restores_data_input_and_head(
    shapes_window, qtbot, folder
):
    window = shapes_window
    doc, page = window.document, window.data_page
    before = (doc.dataset, doc.input, doc.head)
    with qtbot.waitSignal(page.dataset_loaded, timeout=20_000):
        page.open_folder(str(folder))
    assert doc.dataset.path == str(folder)
    assert (doc.input.shape, doc.head.num_classes) == ((20, 24, 3), 3)
    window.undo_action.trigger()
    assert (doc.dataset, doc.input, doc.head) == before
    window.redo_action.trigger()
    assert doc.dataset.path == str(folder)


def test_a_relocated_dataset_folder_marks_the_project_unsaved(
    window, qtbot, folder, tmp_path, monkeypatch
):
    gone = DatasetSpec(kind="folder", name="pets", path=str(tmp_path / "moved"))
    path = save_project(Project("pets", tiny_spec(3), gone), tmp_path / "p.cnnwb.json")
    assert window.open_project(path)
    assert not window.is_dirty()
    page = window.data_page
    monkeypatch.setattr(page, "_ask_new_location", lambda spec: str(folder))
    with qtbot.waitSignal(page.dataset_loaded, timeout=20_000):
        window.show_page("data")  # it loads when shown, and asks where
    assert window.document.dataset.path == str(folder)
    assert window.is_dirty()
    assert window.isWindowModified()


def test_saving_an_untitled_project_moves_its_run_beside_it(
    shapes_window, qtbot, tmp_path, monkeypatch
):
    window = shapes_window
    window.undo_stack.push(SetSpec(window.document, tiny_spec(6)))
    window.document.set_training(TrainingConfig(epochs=1, batch_size=16))
    page = window.training_page
    with qtbot.waitSignal(page.finished, timeout=120_000):
        page.controls.start_button.click()
    [run] = RunStore(window.document.untitled_runs_dir).list()
    target = tmp_path / "shapes"
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), "")
    )
    assert window.save()
    beside = RunStore.beside(tmp_path / "shapes.cnnwb.json")
    assert [r.name for r in beside.list()] == [run.name]
    assert page.results_panel.runs_panel.table.rowCount() == 1
    assert not run.path.exists()


def test_two_untitled_projects_do_not_share_runs(window):
    first = window.document.runs_dir
    window.new_project()
    assert window.document.runs_dir != first
