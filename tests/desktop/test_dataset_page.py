"""The Data page, driven as a user would: open, browse, fit the model, undo."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtGui import QUndoStack

from core.data.spec import DatasetSpec, InvalidDatasetSpec
from core.document import ProjectDocument
from core.errors import DatasetError
from core.presets import preset
from core.project import Project
from core.workspace import Workspace
from desktop.pages import dataset_page
from desktop.pages.dataset_page import DatasetPage
from tests.desktop.drops import drop_event


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "pets"
    for c, (name, n) in enumerate((("cat", 4), ("dog", 3), ("fox", 5))):
        (root / name).mkdir(parents=True)
        for k in range(n):
            pixels = np.full((20, 24, 3), c * 60 + k, np.uint8)
            Image.fromarray(pixels).save(root / name / f"{k}.png")
    (root / "dog" / "broken.jpg").write_text("not a jpeg")
    return root


@pytest.fixture
def page(qtbot):
    document = ProjectDocument(Project(model=preset("mnist-convnet")))
    p = DatasetPage(Workspace(document), QUndoStack())
    qtbot.addWidget(p)
    yield p
    p.shutdown()


def open_and_wait(qtbot, page, path):
    with qtbot.waitSignal(page.dataset_loaded, timeout=20_000) as blocker:
        page.open_folder(str(path))
    return blocker.args[0]


def test_open_folder_shows_classes_counts_chart_and_report(qtbot, page, folder):
    page.val_spin.setValue(0)
    page.test_spin.setValue(0)
    dataset = open_and_wait(qtbot, page, folder)
    assert dataset.class_names == ["cat", "dog", "fox"]
    table = page.class_table
    assert [table.item(r, 0).text() for r in range(3)] == ["cat", "dog", "fox"]
    assert [table.item(r, 1).text() for r in range(3)] == ["4", "3", "5"]
    assert page.chart.counts("train") == [4, 3, 5]
    assert page.tabs.tabText(1) == "Skipped files (1)"
    assert page.skipped_table.item(0, 0).text().endswith("broken.jpg")
    assert "not an image" in page.skipped_table.item(0, 1).text()
    # training adds the files only TensorFlow failed to decode; the tab follows
    dataset.report.skip(str(folder / "fox" / "0.png"), "could not be decoded")
    page.show_skipped(dataset)
    assert page.tabs.tabText(1) == "Skipped files (2)"
    assert page.skipped_table.item(1, 1).text() == "could not be decoded"


def test_model_follows_the_data_and_undo_restores_it(qtbot, page, folder):
    before = page.document.spec
    open_and_wait(qtbot, page, folder)
    assert page.document.spec.input.shape == (20, 24, 3)
    assert page.document.spec.head.num_classes == 3
    page.undo_stack.undo()
    assert page.document.spec == before


def test_selecting_a_class_filters_the_grid_and_thumbnails_arrive(qtbot, page, folder):
    page.val_spin.setValue(0)
    page.test_spin.setValue(0)
    open_and_wait(qtbot, page, folder)
    model = page.grid_model
    assert model.rowCount() == 12
    page.class_table.selectRow(2)
    assert model.rowCount() == 5
    labels = {model.data(model.index(r), model.LabelRole) for r in range(5)}
    assert labels == {2}
    with qtbot.waitSignal(model.thumbnail_ready, timeout=10_000):
        model.data(model.index(0), Qt.ItemDataRole.DecorationRole)
    pixmap = model.data(model.index(0), Qt.ItemDataRole.DecorationRole)
    assert (pixmap.width(), pixmap.height()) == (64, 53)  # 20x24, as the model sees it
    page.grid.clicked.emit(model.index(0))
    assert "fox" in page.preview_info.text()
    assert "20x24, 3 channels" in page.preview_info.text()


def test_failed_load_shows_the_message(qtbot, page, monkeypatch):
    def offline(spec, progress, cancel):
        raise DatasetError("could not download mnist (offline): point at a folder")

    monkeypatch.setattr(dataset_page, "open_dataset", offline)
    with qtbot.waitSignal(page.load_failed, timeout=5000) as blocker:
        page.load_spec(DatasetSpec(name="mnist"))
    assert blocker.args[0].startswith("could not download mnist")
    assert "point at a folder" in page.status.text()
    assert "Traceback" not in page.status.text()
    assert page.load_button.isEnabled()


def test_cancel_returns_to_idle(qtbot, page, monkeypatch):
    started = threading.Event()

    def slow(spec, progress, cancel):
        started.set()
        while not cancel.wait(0.01):
            pass
        raise DatasetError("scan cancelled")

    monkeypatch.setattr(dataset_page, "open_dataset", slow)
    page.load_spec(DatasetSpec(name="shapes"))
    assert started.wait(5)
    worker = page._worker
    page.cancel_button.click()
    assert worker.wait(5000)
    assert page.status.text() == "Cancelled."
    assert page.load_button.isEnabled()


def test_builtin_shapes_and_dropping_a_folder(qtbot, page, folder):
    with qtbot.waitSignal(page.dataset_loaded, timeout=20_000):
        page.load_spec(DatasetSpec(name="shapes", count=60))
    assert page.document.spec.input.shape == (64, 64, 3)
    assert page.document.spec.head.num_classes == 6
    drop = drop_event(folder)
    with qtbot.waitSignal(page.dataset_loaded, timeout=20_000) as blocker:
        page.dropEvent(drop)
    assert blocker.args[0].name == "pets"


def test_project_dataset_loads_when_the_page_is_shown(qtbot, page, folder, monkeypatch):
    spec = DatasetSpec(kind="folder", name="pets", path=str(folder))
    before = page.document.spec
    page.document.set_dataset(spec)  # an opened project's
    assert page.dataset() is None  # nothing loaded while hidden
    with qtbot.waitSignal(page.dataset_loaded, timeout=20_000):
        page.show()
    assert page.document.spec == before  # a project's model already fits its data


def test_moved_folder_asks_for_the_new_location(qtbot, page, folder, monkeypatch):
    monkeypatch.setattr(page, "_ask_new_location", lambda spec: str(folder))
    gone = DatasetSpec(kind="folder", name="pets", path=str(folder.parent / "moved"))
    with qtbot.waitSignal(page.dataset_loaded, timeout=20_000):
        page.load_spec(gone)
    assert page.document.dataset.path == str(folder)


def test_after_a_failed_load_the_document_s_dataset_still_loads(
    qtbot, page, folder, monkeypatch
):
    real = dataset_page.open_dataset

    def offline(spec, progress, cancel):
        raise DatasetError("the disk is asleep")

    spec = DatasetSpec(kind="folder", name="pets", path=str(folder))
    monkeypatch.setattr(dataset_page, "open_dataset", offline)
    with qtbot.waitSignal(page.load_failed, timeout=5000):
        page.load_spec(spec)
    monkeypatch.setattr(dataset_page, "open_dataset", real)
    page.show()
    with qtbot.waitSignal(page.dataset_loaded, timeout=20_000):
        page.document.set_dataset(spec)  # a recipe naming the same data


# The split boxes accept exactly what DatasetSpec accepts (#24): they were
# capped at 80% each by hand, so a pair such as 50% + 45% could be set on the
# page and was then refused by validation on the next load.


def accepted(validation: int, test: int) -> bool:
    try:
        DatasetSpec(validation_fraction=validation / 100, test_fraction=test / 100)
    except InvalidDatasetSpec:
        return False
    return True


@pytest.mark.parametrize("test", [0, 10, 45, 89])
def test_the_validation_box_ends_where_validation_does(page, test):
    page.val_spin.setValue(0)
    page.test_spin.setValue(test)
    top = page.val_spin.maximum()
    assert accepted(top, test)
    assert not accepted(top + 1, test)
    assert page.val_spin.minimum() == 0
    assert accepted(0, test)


def test_the_boxes_hold_each_other_below_the_total(page):
    page.val_spin.setValue(50)
    assert page.test_spin.maximum() == 39
    page.test_spin.setValue(39)
    assert accepted(page.val_spin.value(), page.test_spin.value())
    assert page.val_spin.maximum() == 50


def test_the_boxes_say_what_the_declaration_says(page):
    assert page.val_spin.toolTip() == (
        "Share of the training images held out for validation"
    )
    assert page.test_spin.toolTip() == (
        "Share held out for testing (when there is no test/ folder)"
    )
