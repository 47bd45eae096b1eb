"""Combo boxes show their current text whole at 1366x768, on every page after
every preset, or say it in their tooltip where a long user name cannot fit."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QApplication, QComboBox, QStyle, QStyleOptionComboBox

from core.presets import all_presets
from tests.desktop.test_window_fits import dismiss_offer

ARTIFACTS = Path(__file__).parents[1] / "artifacts"


def shows_whole(combo: QComboBox) -> bool:
    """The current text fits the combo's text field, or its tooltip says it."""
    option = QStyleOptionComboBox()
    combo.initStyleOption(option)
    field = combo.style().subControlRect(
        QStyle.ComplexControl.CC_ComboBox,
        option,
        QStyle.SubControl.SC_ComboBoxEditField,
        combo,
    )
    text = combo.currentText()
    width = QFontMetrics(combo.font()).horizontalAdvance(text)
    return width <= field.width() or combo.toolTip() == text


def cut_combos(window) -> list[str]:
    return [
        f"{combo.currentText()!r} in {type(combo.parent()).__name__}"
        for combo in window.findChildren(QComboBox)
        if combo.isVisible() and not shows_whole(combo)
    ]


@pytest.mark.parametrize("name", list(all_presets()))
def test_every_combo_shows_its_text_after_a_preset(shapes_window, qtbot, name):
    window = shapes_window
    window.resize(1366, 768)
    window.load_preset(name)
    dismiss_offer(window)
    qtbot.waitUntil(lambda: not window.model_page.is_measuring(), timeout=120_000)
    for row in range(window.navigation.count()):
        window.navigation.setCurrentRow(row)
        QApplication.processEvents()
        page = window.pages.currentWidget().objectName()
        assert not cut_combos(window), f"{name}, {page}: {cut_combos(window)}"


def test_the_binary_head_shows_its_output_and_loss(shapes_window, qtbot):
    window = shapes_window
    window.resize(1366, 768)
    window.load_preset("cats-vs-dogs-small")
    dismiss_offer(window)
    window.navigation.setCurrentRow(0)
    QApplication.processEvents()
    io = window.model_page.io_editor
    ARTIFACTS.mkdir(exist_ok=True)
    window.grab().save(str(ARTIFACTS / "model-page-binary-head.png"))
    assert io.binary_combo.isVisible()
    assert shows_whole(io.binary_combo), io.binary_combo.currentText()
    assert io.loss.text() == "binary cross-entropy"


def test_the_data_source_box_grows_to_a_folder_name(shapes_window):
    window = shapes_window
    window.resize(1366, 768)
    window.navigation.setCurrentRow(1)
    QApplication.processEvents()
    source = window.data_page.source_box.source
    source.addItem("cats_vs_dogs_small")  # a name longer than the built-ins'
    source.setCurrentText("cats_vs_dogs_small")
    QApplication.processEvents()
    ARTIFACTS.mkdir(exist_ok=True)
    window.data_page.source_box.grab().save(str(ARTIFACTS / "data-source-name.png"))
    assert shows_whole(source)
