"""The model page driven as a user would: palette, list, form, keys, undo."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QUndoStack

from core.document import ProjectDocument
from core.summary import summarize
from desktop import colours
from desktop.pages.model_page import ModelPage
from desktop.widgets.layer_stack_model import Role
from tests.desktop.clicks import double_click_palette

CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture
def page(qtbot) -> ModelPage:
    page = ModelPage(ProjectDocument(), QUndoStack())
    qtbot.addWidget(page)
    page.resize(1280, 800)
    page.show()
    qtbot.waitExposed(page)
    return page


@pytest.fixture
def cifar(page: ModelPage) -> ModelPage:
    page.load_preset("cifar10-simple-cnn")
    return page


def _names(page: ModelPage) -> list[str]:
    return [layer.name for layer in page.document.layers]


def _press(
    qtbot, page: ModelPage, key: Qt.Key, modifier=Qt.KeyboardModifier.NoModifier
):
    page.activateWindow()
    page.editor.view.setFocus()
    qtbot.keyClick(page.editor.view, key, modifier)


def test_preset_shows_keras_totals(cifar):
    assert "122,570" in cifar.totals.text()
    assert "478.79 KB" in cifar.totals.text()
    assert cifar.model.rowCount() == len(cifar.document.layers) + 1
    assert "valid" in cifar.totals.status_label.text()
    cifar.undo_stack.undo()
    assert len(cifar.document.layers) == 0


def test_presets_menu_loads_undoably(page):
    menu = page.presets_menu(page)
    action = next(a for a in menu.actions() if a.data() == "mnist-convnet")
    action.trigger()
    assert page.undo_stack.undoText() == "Load preset mnist-convnet"
    assert f"{summarize(page.document.spec).total:,}" in page.totals.text()


def test_double_click_palette_adds_layer(qtbot, page):
    double_click_palette(qtbot, page, "Conv2D")
    assert [x.class_name for x in page.document.layers] == ["Conv2D"]
    expected = summarize(page.document.spec).total
    assert f"{expected:,}" in page.totals.text()
    assert page.editor.current_row() == 0  # the new layer is selected
    assert page.form.name_edit.text() == "conv2d_1"
    page.undo_stack.undo()
    assert len(page.document.layers) == 0
    page.undo_stack.redo()
    assert page.document.layers[0].name == "conv2d_1"


def test_insert_key_adds_palette_selection_below_current(qtbot, cifar):
    cifar.layer_palette.setCurrentItem(
        cifar.layer_palette.item_for("BatchNormalization")
    )
    cifar.editor.select_row(1)
    _press(qtbot, cifar, Qt.Key.Key_Insert)
    assert cifar.document.layers[2].class_name == "BatchNormalization"


def test_edit_option_in_form_updates_stack_and_totals(qtbot, cifar):
    conv = cifar.document.index_of("conv2d_1")
    cifar.editor.select_row(conv)
    spin = cifar.form.editors["filters"].spin
    spin.lineEdit().selectAll()
    qtbot.keyClicks(spin, "16")
    qtbot.keyClick(spin, Qt.Key.Key_Return)
    assert cifar.document.layers[conv].config["filters"] == 16
    total = summarize(cifar.document.spec).total
    assert total != 122_570
    assert f"{total:,}" in cifar.totals.text()
    assert "(3*3*3 + 1) * 16 = 448" in cifar.details.plain_text()
    cifar.undo_stack.undo()
    assert cifar.document.layers[conv].config["filters"] == 32
    assert "122,570" in cifar.totals.text()
    assert spin.value() == 32  # the form follows undo
    cifar.undo_stack.redo()
    assert spin.value() == 16


def test_choice_and_rename_are_undoable(cifar):
    cifar.editor.select_row(1)
    cifar.form.editors["padding"].combo.setCurrentText("same")
    assert cifar.document.layers[1].config["padding"] == "same"
    cifar.form.name_edit.setText("first_conv")
    cifar.form.name_edit.editingFinished.emit()
    assert cifar.document.layers[1].name == "first_conv"
    cifar.form.name_edit.setText("conv2d_2")  # taken
    cifar.form.name_edit.editingFinished.emit()
    assert cifar.document.layers[1].name == "first_conv"
    assert "already" in cifar.form.message.text()
    cifar.undo_stack.undo()
    cifar.undo_stack.undo()
    assert cifar.document.layers[1].name == "conv2d_1"
    assert cifar.document.layers[1].config["padding"] == "valid"


def test_keyboard_move_delete_duplicate_and_undo(qtbot, cifar):
    start = _names(cifar)
    cifar.editor.select_row(1)
    _press(qtbot, cifar, Qt.Key.Key_Down, CTRL)
    assert _names(cifar)[2] == "conv2d_1"
    assert cifar.editor.current_row() == 2  # selection follows the layer
    _press(qtbot, cifar, Qt.Key.Key_Up, CTRL)
    assert _names(cifar) == start
    _press(qtbot, cifar, Qt.Key.Key_D, CTRL)
    assert _names(cifar)[2] == "conv2d_4"
    assert cifar.document.layers[2].config == cifar.document.layers[1].config
    _press(qtbot, cifar, Qt.Key.Key_Delete)
    assert _names(cifar) == start
    cifar.editor.select_row(1)
    _press(qtbot, cifar, Qt.Key.Key_Delete)
    assert "conv2d_1" not in _names(cifar)
    for _ in range(5):
        cifar.undo_stack.undo()
    assert _names(cifar) == start
    assert "122,570" in cifar.totals.text()


def test_head_row_is_locked(qtbot, cifar):
    head = cifar.model.head_row()
    cifar.editor.select_row(head)
    assert not cifar.editor.remove_action.isEnabled()
    assert not cifar.editor.move_up_action.isEnabled()
    _press(qtbot, cifar, Qt.Key.Key_Delete)
    assert cifar.model.rowCount() == head + 1
    assert (
        not cifar.form.editors["units"].isEnabled()
        or not cifar.form._fields.isEnabled()
    )
    assert "locked" in cifar.details.plain_text()


def test_input_and_head_settings(cifar):
    io = cifar.io_editor
    io.channels_combo.setCurrentIndex(io.channels_combo.findData(1))
    assert cifar.document.spec.input.channels == 1
    assert io.binary_combo.isHidden()
    io.classes_spin.setValue(2)
    assert not io.binary_combo.isHidden()
    assert cifar.model.index(cifar.model.head_row()).data(Role.SHAPE) == "(None, 1)"
    io.binary_combo.setCurrentIndex(io.binary_combo.findData("softmax"))
    assert cifar.document.spec.head.units == 2
    cifar.undo_stack.undo()
    cifar.undo_stack.undo()
    cifar.undo_stack.undo()
    assert io.classes_spin.value() == 10
    assert io.channels_combo.currentData() == 3
    assert "122,570" in cifar.totals.text()


def test_conv_after_flatten_is_red_with_reason(cifar):
    row = cifar.document.index_of("flatten_1") + 1
    cifar.editor.insert_kind("Conv2D", row)
    index = cifar.model.index(row)
    assert index.data(Qt.ItemDataRole.ForegroundRole).color() == colours.role("error")
    assert "needs a 2-D feature map" in index.data(Qt.ItemDataRole.ToolTipRole)
    assert cifar.editor.current_row() == row
    assert "needs a 2-D feature map" in cifar.details.plain_text()
    assert "1 problem" in cifar.totals.status_label.text()


def test_drag_palette_kind_into_list(cifar):
    mime = cifar.layer_palette.mimeData([cifar.layer_palette.item_for("Dropout")])
    dropped = cifar.model.dropMimeData(
        mime, Qt.DropAction.CopyAction, 3, 0, QModelIndex()
    )
    assert dropped
    assert cifar.document.layers[3].class_name == "Dropout"
    assert cifar.undo_stack.undoText() == "Add dropout_1"
