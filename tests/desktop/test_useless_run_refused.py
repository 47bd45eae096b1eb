"""The Training page refuses a random, frozen backbone, and stops once it is fixed.

Driven as a user meets it: the VGG16 transfer preset from the Model page's
presets menu, its weights set to "none" in the backbone's form (the offline
advice), then the Freeze choice set to "none". The Training page's red text
must name the cause while it lasts and be gone once it is fixed.
"""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QUndoStack

from core.backbone_table import cached_only
from core.data.dataset import Dataset, Split
from core.document import ProjectDocument
from core.runs import RunStore
from desktop.pages.model_page import ModelPage
from desktop.pages.training_page import TrainingPage
from tests.desktop.test_backbone_desktop import PRESET, vgg16_table  # noqa: F401

pytestmark = pytest.mark.usefixtures("vgg16_table")
FROZEN_RANDOM = "frozen with random weights"


def cifar_like() -> Dataset:
    """Ten classes of 32x32 colour images: what the preset's model takes."""
    rng = np.random.default_rng(0)

    def split(n: int) -> Split:
        return Split(np.arange(n) % 10, rng.integers(0, 256, (n, 32, 32, 3), np.uint8))

    return Dataset(
        "tiny",
        [f"c{i}" for i in range(10)],
        {"train": split(40), "validation": split(10), "test": split(10)},
    )


@pytest.fixture
def pages(qtbot, tmp_path):
    dataset = cifar_like()
    document, undo = ProjectDocument(tables=cached_only), QUndoStack()
    model = ModelPage(document, undo)
    training = TrainingPage(
        document,
        undo,
        dataset=lambda: dataset,
        store=lambda: RunStore(tmp_path / "runs"),
    )
    for page in (model, training):
        qtbot.addWidget(page)
        page.show()
        qtbot.waitExposed(page)
    menu = model.presets_menu(model)
    next(a for a in menu.actions() if a.data() == PRESET).trigger()
    yield model, training
    training.shutdown()


def test_the_red_text_names_the_cause_and_clears_once_it_is_fixed(qtbot, pages):
    model, training = pages
    status = training.controls.status
    qtbot.waitUntil(lambda: status.text().startswith("Ready"))

    model.editor.select_row(0)
    weights = model.form.editors["weights"].combo
    with qtbot.waitSignal(model.model.stack_changed):
        weights.setCurrentIndex(weights.findText("none"))
        weights.textActivated.emit("none")
    qtbot.waitUntil(lambda: FROZEN_RANDOM in status.text())
    assert "unfreeze the backbone" in status.text()

    freeze = model.block.freeze_combo
    with qtbot.waitSignal(model.model.stack_changed):
        freeze.setCurrentIndex(freeze.findData("none"))
        freeze.activated.emit(freeze.findData("none"))
    assert model.document.spec.backbone.config["freeze"] == "none"
    qtbot.waitUntil(lambda: FROZEN_RANDOM not in status.text())
    assert status.text().startswith("Ready")
