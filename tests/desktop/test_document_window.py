"""The window works on one project document: the runs of a project without a file.

(Undo of a dataset choice and a relocated dataset folder: test_dataset_document.py.)
"""

from __future__ import annotations

from PySide6.QtWidgets import QFileDialog

from core.runs import RunStore
from core.training.config import TrainingConfig
from desktop.undo_commands import SetSpec
from tests.tiny_model import tiny_spec


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
