"""Phase 2 settings follow the model and are checked before a run starts."""

from __future__ import annotations

from dataclasses import replace

import pytest
from PySide6.QtGui import QUndoStack

from core.augmentation.config import AugmentationConfig
from core.data.load import open_dataset
from core.data.spec import DatasetSpec
from core.presets import all_presets
from core.runs import RunStore
from core.spec import HeadSpec
from desktop.pages.training_page import TrainingPage
from tests.desktop.test_backbone_desktop import PRESET, vgg16_table  # noqa: F401

pytestmark = pytest.mark.usefixtures("vgg16_table")


@pytest.fixture
def page(qtbot, tmp_path) -> TrainingPage:
    dataset = open_dataset(DatasetSpec(name="shapes", count=20))
    spec = replace(all_presets()[PRESET].spec, head=HeadSpec(dataset.num_classes))
    page = TrainingPage(
        spec=lambda: spec,
        dataset=lambda: dataset,
        augmentation=AugmentationConfig,
        store=lambda: RunStore(tmp_path / "runs"),
        undo_stack=QUndoStack(),
    )
    qtbot.addWidget(page)
    page.show()
    qtbot.waitExposed(page)
    yield page
    page.shutdown()


def test_layer_fields_stay_off_while_phase_two_is_off(page):
    assert page.fine_tune_box.isEnabled()  # the model has a backbone
    assert not page.fine_tune_box.isChecked()
    assert not page.fine_tune_from.isEnabled()
    page.fine_tune_box.setChecked(True)
    assert page.fine_tune_from.isEnabled()
    assert not page.fine_tune_last_n.isEnabled()
    page.fine_tune_freeze.setCurrentText("last_n")
    assert page.fine_tune_last_n.isEnabled()
    assert not page.fine_tune_from.isEnabled()
    page.fine_tune_box.setChecked(False)
    assert not page.fine_tune_last_n.isEnabled()


def test_from_layer_offers_the_backbone_layers(page):
    model = page.fine_tune_from.completer().model()
    names = [model.index(i, 0).data() for i in range(model.rowCount())]
    assert "block5_conv1" in names
    assert names[0] == "block1_conv1"


def test_a_mistyped_layer_is_refused_at_start_without_training(qtbot, page):
    page.fine_tune_box.setChecked(True)
    page.fine_tune_from.setText("block5_conv9")
    page.fine_tune_from.editingFinished.emit()
    with qtbot.waitSignal(page.failed) as failed:
        page.start()
    assert page.worker is None
    assert "no layer 'block5_conv9'" in failed.args[0]
    assert "Phase 2" in page.status.text()


def test_phase_two_follows_a_preset_loaded_while_the_page_shows(window):
    window.ensure_data_page()
    training = window.training_page
    assert not training.fine_tune_box.isEnabled()
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Presets")
    next(a for a in menu.actions() if f"({PRESET})" in a.text()).trigger()
    assert training.fine_tune_box.isEnabled()
    window.undo_stack.undo()
    assert not training.fine_tune_box.isEnabled()
