"""LayerStackModel follows the document's layers and passes Qt's model checks."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QMimeData, QModelIndex, Qt
from PySide6.QtGui import QUndoStack

from core.document import ProjectDocument
from core.presets import all_presets
from core.project import Project
from core.spec import InputSpec
from desktop import colours
from desktop.widgets.layer_stack_model import (
    KIND_MIME,
    ROW_MIME,
    LayerStackModel,
    Role,
)


@pytest.fixture
def stack() -> ProjectDocument:
    return ProjectDocument(Project(model=all_presets()["cifar10-simple-cnn"].spec))


@pytest.fixture
def model(qapp, stack: ProjectDocument) -> LayerStackModel:
    return LayerStackModel(stack, QUndoStack())


def _names(model: LayerStackModel) -> list[str]:
    return [model.index(r).data(Role.LAYER).name for r in range(model.rowCount())]


def test_rows_are_layers_then_locked_head(model, stack):
    assert model.rowCount() == len(stack.layers) + 1
    head = model.index(model.head_row())
    assert head.data(Role.LOCKED) is True
    assert head.data(Role.LAYER).name == "classifier"
    assert not head.flags() & Qt.ItemFlag.ItemIsDragEnabled
    conv = model.index(1)
    assert conv.data(Role.OPTIONS) == "32 filters 3x3 relu valid"
    assert conv.data(Role.SHAPE) == "(None, 30, 30, 32)"
    assert conv.data(Role.PARAMS) == "896"
    assert conv.flags() & Qt.ItemFlag.ItemIsDragEnabled


@pytest.mark.parametrize("force_py", [False, True])
def test_model_passes_qt_checks_while_stack_changes(
    qtmodeltester, model, stack, force_py
):
    qtmodeltester.check(model, force_py=force_py)
    stack.insert_layer(0, stack.new_layer("Conv2D"))
    stack.insert_layer(len(stack.layers), stack.new_layer("Dropout"))
    stack.move_layer(0, 4)
    stack.move_layer(5, 1)
    stack.remove_layer(3)
    stack.replace_layer(0, stack.layers[0].with_options(scale=0.5))
    stack.set_input(InputSpec(64, 64, 1))
    stack.set_spec(all_presets()["mnist-convnet"].spec)
    stack.remove_layer(len(stack.layers) - 1)
    assert _names(model) == [*(x.name for x in stack.layers), "classifier"]


def test_shapes_follow_an_insert_before_them(model, stack):
    seen = []
    model.dataChanged.connect(lambda a, b: seen.append((a.row(), b.row())))
    stack.insert_layer(1, stack.new_layer("MaxPooling2D"))
    assert model.index(2).data(Role.SHAPE) == "(None, 14, 14, 32)"
    assert seen
    assert seen[0][1] == model.head_row()


def test_invalid_layer_is_red_with_reason(model, stack):
    flatten = stack.index_of("flatten_1")
    stack.insert_layer(flatten + 1, stack.new_layer("Conv2D"))
    bad = model.index(flatten + 1)
    assert bad.data(Qt.ItemDataRole.ForegroundRole).color() == colours.role("error")
    assert "needs a 2-D feature map" in bad.data(Role.ERROR)
    assert "needs a 2-D feature map" in bad.data(Qt.ItemDataRole.ToolTipRole)
    assert bad.data(Role.SHAPE) == "invalid"


def test_drop_palette_kind_inserts_undoably(model, stack):
    undo = model._undo_stack
    mime = QMimeData()
    mime.setData(KIND_MIME, b"BatchNormalization")
    assert model.dropMimeData(mime, Qt.DropAction.CopyAction, 2, 0, QModelIndex())
    assert stack.layers[2].class_name == "BatchNormalization"
    undo.undo()
    assert "BatchNormalization" not in [x.class_name for x in stack.layers]


def test_drop_below_head_appends_above_it(model, stack):
    mime = QMimeData()
    mime.setData(KIND_MIME, b"Dropout")
    model.dropMimeData(
        mime, Qt.DropAction.CopyAction, model.rowCount(), 0, QModelIndex()
    )
    assert stack.layers[len(stack.layers) - 1].class_name == "Dropout"


def test_internal_drag_moves_layer(model, stack):
    first = stack.layers[0].name
    mime = model.mimeData([model.index(0)])
    assert mime.hasFormat(ROW_MIME)
    model.dropMimeData(mime, Qt.DropAction.MoveAction, 3, 0, QModelIndex())
    assert stack.index_of(first) == 2
    model._undo_stack.undo()
    assert stack.index_of(first) == 0


def test_model_unhooks_from_stack_when_deleted(qapp, stack):
    before = len(stack.layers.events.inserted), len(stack.events.model)
    model = LayerStackModel(stack)
    model.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert (len(stack.layers.events.inserted), len(stack.events.model)) == before
    stack.insert_layer(0, stack.new_layer("Dropout"))  # must not touch the dead model
