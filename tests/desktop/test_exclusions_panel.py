"""The Data page's exclusion list: the count, the review dialog, remove, clear, undo.

Driven through the real widgets: an entry is added as the report or the
evaluation view adds one (``set_exclusions``, one undo step), then reviewed,
removed and cleared with the dialog's buttons, and Edit > Undo brings it back.
The class counts follow the list without loading the data again.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QItemSelectionModel
from PySide6.QtGui import QUndoStack

from core.document import ProjectDocument
from core.presets import preset
from core.project import Project
from core.workspace import Workspace
from desktop.pages.dataset_page import DatasetPage
from desktop.widgets.exclusions_panel import set_exclusions


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "pets"
    for c, (name, n) in enumerate((("cat", 4), ("dog", 3))):
        (root / name).mkdir(parents=True)
        for k in range(n):
            Image.fromarray(np.full((8, 8, 3), c * 60 + k, np.uint8)).save(
                root / name / f"{k}.png"
            )
    return root


@pytest.fixture
def page(qtbot, folder):
    document = ProjectDocument(Project(model=preset("mnist-convnet")))
    p = DatasetPage(Workspace(document), QUndoStack())
    qtbot.addWidget(p)
    p.val_spin.setValue(0)
    p.test_spin.setValue(0)
    with qtbot.waitSignal(p.dataset_loaded, timeout=20_000):
        p.open_folder(str(folder))
    yield p
    p.shutdown()


def train_counts(page) -> list[str]:
    return [page.class_table.item(r, 1).text() for r in range(2)]


def listing(page, entries) -> None:
    """Put ``(split index, label or None)`` of training on the list, one step."""
    dataset = page.workspace.dataset
    exclusions = page.document.dataset.exclusions
    for index, label in entries:
        exclusions = exclusions.listing(*dataset.identity("train", index), label)
    set_exclusions(page.document, page.undo_stack, exclusions, "Exclude")


def test_the_count_follows_the_list_without_loading_again(page):
    loaded = page.workspace.dataset
    bar = page.exclusions
    assert bar.label.text().startswith("Exclusion list: empty")
    assert not bar.review_button.isEnabled()
    listing(page, [(0, None), (1, "dog")])  # two cats: one out, one a dog
    assert bar.label.text() == "Exclusion list: 1 excluded, 1 relabelled"
    assert bar.review_button.isEnabled()
    assert train_counts(page) == ["2", "4"]
    assert page.workspace.dataset is not loaded  # relisted, not reloaded
    assert loaded.splits["train"].class_counts(2) == [4, 3]  # a run's copy kept
    page.undo_stack.undo()
    assert train_counts(page) == ["4", "3"]
    assert not page.document.dataset.exclusions


def test_review_lists_the_entries_and_remove_and_clear_are_undoable(qtbot, page):
    listing(page, [(0, None), (1, "dog")])
    dialog = page.exclusions.review()
    qtbot.addWidget(dialog)
    table = dialog.table
    rows = [(table.item(r, 0).text(), table.item(r, 1).text()) for r in range(2)]
    assert rows == [("cat/0.png", "excluded"), ("cat/1.png", "labelled dog")]
    assert not dialog.remove_button.isEnabled()  # nothing selected
    table.selectionModel().select(
        table.model().index(0, 0),
        QItemSelectionModel.SelectionFlag.Select
        | QItemSelectionModel.SelectionFlag.Rows,
    )
    with qtbot.waitSignal(dialog.changed):
        dialog.remove_button.click()
    assert table.rowCount() == 1
    assert table.item(0, 0).text() == "cat/1.png"
    assert train_counts(page) == ["3", "4"]
    with qtbot.waitSignal(dialog.changed):
        dialog.clear_button.click()
    assert table.rowCount() == 0
    assert not dialog.clear_button.isEnabled()
    assert page.exclusions.label.text().startswith("Exclusion list: empty")
    assert train_counts(page) == ["4", "3"]
    with qtbot.waitSignal(dialog.changed):
        page.undo_stack.undo()  # the clear
    assert table.rowCount() == 1
    with qtbot.waitSignal(dialog.changed):
        page.undo_stack.undo()  # the removal
    assert table.rowCount() == 2
    assert train_counts(page) == ["2", "4"]
    assert page.undo_stack.undoText() == "Exclude"
