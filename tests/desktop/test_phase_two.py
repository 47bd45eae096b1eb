"""Phase 2 settings follow the model and are checked before a run starts."""

from __future__ import annotations

from dataclasses import replace

import pytest
from PySide6.QtGui import QUndoStack

from core.backbone_table import cached_only
from core.data.load import open_dataset
from core.data.spec import DatasetSpec
from core.document import ProjectDocument
from core.presets import all_presets
from core.project import Project
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
        ProjectDocument(Project(model=spec), tables=cached_only),
        QUndoStack(),
        dataset=lambda: dataset,
        store=lambda: RunStore(tmp_path / "runs"),
    )
    qtbot.addWidget(page)
    page.show()
    qtbot.waitExposed(page)
    yield page
    page.shutdown()


def test_layer_fields_stay_off_while_phase_two_is_off(page):
    assert page.form.phase_two.isEnabled()  # the model has a backbone
    assert not page.form.phase_two.isChecked()
    assert not page.form.editors["fine_tune_from"].isEnabled()
    page.form.phase_two.setChecked(True)
    assert page.form.editors["fine_tune_from"].isEnabled()
    assert not page.form.editors["fine_tune_last_n"].isEnabled()
    page.form.editors["fine_tune_freeze"].combo.setCurrentText("last_n")
    assert page.form.editors["fine_tune_last_n"].isEnabled()
    assert not page.form.editors["fine_tune_from"].isEnabled()
    page.form.phase_two.setChecked(False)
    assert not page.form.editors["fine_tune_last_n"].isEnabled()


def test_from_layer_offers_the_backbone_layers(page):
    model = page.form.editors["fine_tune_from"].line.completer().model()
    names = [model.index(i, 0).data() for i in range(model.rowCount())]
    assert "block5_conv1" in names
    assert names[0] == "block1_conv1"


def test_a_mistyped_layer_is_refused_at_start_without_training(qtbot, page):
    page.form.phase_two.setChecked(True)
    page.form.editors["fine_tune_from"].line.setText("block5_conv9")
    page.form.editors["fine_tune_from"].line.editingFinished.emit()
    with qtbot.waitSignal(page.failed) as failed:
        page.start()
    assert page.worker is None
    assert "no layer 'block5_conv9'" in failed.args[0]
    assert "Phase 2" in page.controls.status.text()


def test_phase_two_follows_a_preset_loaded_while_the_page_shows(window):
    window.ensure_data_page()
    training = window.training_page
    assert not training.form.phase_two.isEnabled()
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Presets")
    next(a for a in menu.actions() if f"({PRESET})" in a.text()).trigger()
    assert training.form.phase_two.isEnabled()
    window.undo_stack.undo()
    assert not training.form.phase_two.isEnabled()
