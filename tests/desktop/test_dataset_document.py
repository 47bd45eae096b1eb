"""The Data page changes the project document: undo and relocation reach the file."""

from __future__ import annotations

import numpy as np
from PIL import Image

from core.data.spec import DatasetSpec
from core.presets import preset
from core.project import Project, save_project


def pets(root):
    for c, name in enumerate(("cat", "dog", "fox")):
        (root / name).mkdir(parents=True)
        for k in range(3):
            pixels = np.full((20, 24, 3), c * 60 + k, np.uint8)
            Image.fromarray(pixels).save(root / name / f"{k}.png")
    return root


def test_undo_of_a_dataset_brings_back_the_data_input_and_head(
    shapes_window, qtbot, tmp_path
):
    window = shapes_window
    folder = pets(tmp_path / "pets")
    before = window.document.project()
    page = window.data_page
    with qtbot.waitSignal(page.dataset_loaded, timeout=60_000):
        page.open_folder(str(folder))
    assert window.document.project().dataset.path == str(folder)
    assert window.document.project().model.head.num_classes == 3
    with qtbot.waitSignal(page.dataset_loaded, timeout=60_000) as shown:
        window.undo_action.trigger()
    after = window.document.project()
    assert after.model.input == before.model.input
    assert after.model.head == before.model.head
    assert after.dataset == before.dataset  # the data comes back with the head
    assert shown.args[0].name == "shapes"  # and the page shows it again
    with qtbot.waitSignal(page.dataset_loaded, timeout=60_000):
        window.redo_action.trigger()
    assert window.document.project().dataset.path == str(folder)


def test_a_relocated_dataset_folder_marks_the_project_unsaved(
    window, qtbot, tmp_path, monkeypatch
):
    folder = pets(tmp_path / "pets")
    gone = DatasetSpec(kind="folder", name="pets", path=str(tmp_path / "moved"))
    model = preset("mnist-convnet")
    path = save_project(Project("p", model, dataset=gone), tmp_path / "p.cnnwb.json")
    assert window.open_project(path)
    page = window.data_page
    monkeypatch.setattr(page, "_ask_new_location", lambda spec: str(folder))
    with qtbot.waitSignal(page.dataset_loaded, timeout=60_000):
        window.navigation.setCurrentRow(1)  # it loads when shown
    assert window.document.project().dataset.path == str(folder)
    assert window.is_dirty()  # closing asks, so the new place is not lost
    assert window.isWindowModified()


def test_pages_let_go_of_the_document_when_destroyed(qtbot, delete_now):
    from PySide6.QtGui import QUndoStack

    from core.augmentation.config import PRESETS
    from core.document import ProjectDocument
    from core.workspace import Workspace
    from desktop.pages.augmentation_page import AugmentationPage
    from desktop.pages.dataset_page import DatasetPage

    document = ProjectDocument()
    pages = [
        DatasetPage(Workspace(document), QUndoStack()),
        AugmentationPage(document, QUndoStack()),
    ]
    for page in pages:
        delete_now(page)
    # A deleted page still subscribed would raise "already deleted" here.
    document.set_dataset(DatasetSpec(name="shapes", count=60))
    document.set_augmentation(PRESETS["light"])
    assert document.dirty
