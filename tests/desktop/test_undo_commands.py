"""Undo commands change the project document and put it back exactly."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QUndoStack

from core.document import ProjectDocument
from core.presets import all_presets
from core.project import Project
from core.spec import HeadSpec, InputSpec
from desktop.undo_commands import (
    EditLayer,
    InsertLayer,
    MoveLayer,
    RemoveLayer,
    SetHead,
    SetInput,
    SetSpec,
)


@pytest.fixture
def stack() -> ProjectDocument:
    return ProjectDocument(Project(model=all_presets()["cifar10-simple-cnn"].spec))


@pytest.fixture
def undo(qapp) -> QUndoStack:
    return QUndoStack()


def _round_trip(undo: QUndoStack, stack: ProjectDocument, command) -> None:
    before = stack.spec
    undo.push(command)
    after = stack.spec
    assert after != before
    undo.undo()
    assert stack.spec == before
    undo.redo()
    assert stack.spec == after


def test_every_command_undoes_and_redoes(undo, stack):
    _round_trip(undo, stack, InsertLayer(stack, 1, stack.new_layer("Dropout")))
    _round_trip(undo, stack, RemoveLayer(stack, 0))
    _round_trip(undo, stack, MoveLayer(stack, 0, 3))
    conv = stack.index_of("conv2d_1")
    edited = stack.layers[conv].with_options(filters=16)
    _round_trip(undo, stack, EditLayer(stack, conv, edited, "filters"))
    _round_trip(undo, stack, SetInput(stack, InputSpec(28, 28, 1)))
    _round_trip(undo, stack, SetHead(stack, HeadSpec(2, "softmax")))
    mnist = all_presets()["mnist-convnet"].spec
    _round_trip(undo, stack, SetSpec(stack, mnist, "Load preset mnist-convnet"))
    assert undo.undoText() == "Load preset mnist-convnet"


def test_edits_of_one_option_merge_into_one_step(undo, stack):
    conv = stack.index_of("conv2d_1")
    for filters in (33, 34, 35):
        undo.push(
            EditLayer(
                stack, conv, stack.layers[conv].with_options(filters=filters), "filters"
            )
        )
    assert undo.count() == 1
    undo.push(
        EditLayer(
            stack, conv, stack.layers[conv].with_options(padding="same"), "padding"
        )
    )
    assert undo.count() == 2
    undo.undo()
    undo.undo()
    assert stack.layers[conv].config["filters"] == 32


def test_edit_back_to_start_leaves_nothing_to_undo(undo, stack):
    for filters in (40, 32):
        undo.push(
            EditLayer(
                stack, 1, stack.layers[1].with_options(filters=filters), "filters"
            )
        )
    assert undo.count() == 0


def test_input_edits_merge_per_field(undo, stack):
    for h in (40, 48):
        undo.push(SetInput(stack, InputSpec(h, 32, 3)))
    undo.push(SetInput(stack, InputSpec(48, 48, 3)))
    assert undo.count() == 2
    assert stack.spec.input == InputSpec(48, 48, 3)
    undo.undo()
    undo.undo()
    assert stack.spec.input == InputSpec(32, 32, 3)
