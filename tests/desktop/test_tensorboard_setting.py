"""Without the optional tensorboard package the Training page's setting says so."""

from __future__ import annotations

import sys

import pytest
from PySide6.QtGui import QUndoStack

from core.augmentation.config import AugmentationConfig
from core.runs import RunStore
from core.tensorboard_logs import INSTALL_COMMAND
from core.training.config import TrainingConfig
from desktop.pages.training_page import TrainingPage
from tests.desktop.test_training_page import SHAPES, SPEC


@pytest.fixture
def page(qtbot, tmp_path, shapes, monkeypatch):
    """A Training page built while the tensorboard import fails."""
    monkeypatch.setitem(sys.modules, "tensorboard", None)
    p = TrainingPage(
        spec=lambda: SPEC,
        dataset=lambda: shapes,
        augmentation=AugmentationConfig,
        store=lambda: RunStore(tmp_path / "runs"),
        undo_stack=QUndoStack(),
        dataset_spec=lambda: SHAPES,
    )
    qtbot.addWidget(p)
    yield p
    p.shutdown()


@pytest.fixture(scope="module")
def shapes():
    from core.data.load import open_dataset

    return open_dataset(SHAPES)


def test_the_setting_is_off_and_disabled_and_says_how_to_install(page):
    assert not page.tensorboard.isChecked()
    assert not page.tensorboard.isEnabled()
    assert INSTALL_COMMAND in page.tensorboard.toolTip()


def test_a_project_that_asked_for_it_is_refused_until_it_is_turned_off(qtbot, page):
    page.apply_config(TrainingConfig(tensorboard=True))
    page.show()
    qtbot.waitExposed(page)
    assert page.tensorboard.isEnabled()  # so it can be turned off
    assert "TensorBoard logs need the tensorboard package" in page.status.text()
    page.tensorboard.click()
    assert not page.config.tensorboard
    assert not page.tensorboard.isEnabled()
    qtbot.waitUntil(lambda: page.status.text().startswith("Ready"))
