"""Combo boxes show their current text whole, or say it in their tooltip where a
long user name cannot fit; every page after every preset is checked by
test_window_fits's walk, with the same ``shows_whole``."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QApplication

from tests.desktop.test_window_fits import dismiss_offer, shows_whole

ARTIFACTS = Path(__file__).parents[1] / "artifacts"


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
