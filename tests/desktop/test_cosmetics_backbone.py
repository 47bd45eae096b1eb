"""The VGG16 block on the Model page: its row tells its options, and its
options panel shows whole (screenshots in tests/artifacts, checked by eye)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QApplication

from desktop.widgets.layer_stack_model import Role
from tests.desktop.test_backbone_desktop import page, vgg, vgg16_table  # noqa: F401

ARTIFACTS = Path(__file__).parents[1] / "artifacts"


def test_the_backbone_row_and_its_options(vgg, qtbot):  # noqa: F811 (a fixture)
    model_page = vgg
    model_page.resize(1366 - 150, 768 - 40)  # beside the page list, under the menu
    model_page.editor.select_row(0)
    scroll = model_page.form.parentWidget().parentWidget()  # viewport, scroll area
    qtbot.waitUntil(lambda: "Backbone" in model_page.form.title.text())
    QApplication.processEvents()
    ARTIFACTS.mkdir(exist_ok=True)
    model_page.grab().save(str(ARTIFACTS / "model-page-vgg16-block.png"))
    row = model_page.model.index(0)
    assert row.data(Role.OPTIONS) == "VGG16 imagenet weights frozen"
    assert scroll.verticalScrollBar().maximum() == 0, "the options are cut off"
