"""The Data page's split boxes accept exactly what DatasetSpec accepts (#24).

They were capped at 80% each by hand, so a pair such as 50% + 45% could be
set on the page and was then refused by validation on the next load.
"""

from __future__ import annotations

import pytest
from PySide6.QtGui import QUndoStack

from core.data.spec import DatasetSpec, InvalidDatasetSpec
from core.document import ProjectDocument
from core.presets import preset
from core.project import Project
from core.workspace import Workspace
from desktop.pages.dataset_page import DatasetPage


@pytest.fixture
def page(qtbot):
    document = ProjectDocument(Project(model=preset("mnist-convnet")))
    p = DatasetPage(Workspace(document), QUndoStack())
    qtbot.addWidget(p)
    yield p
    p.shutdown()


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
