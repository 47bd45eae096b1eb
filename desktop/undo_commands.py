"""Undoable edits of the project document, for one QUndoStack shared by every page.

Every change a user makes goes through one of these commands, so undo/redo is
complete by construction. Commands only call the document's setters and layer
operations; views follow the document's events, so they stay in sync whether
a change comes from a command, its undo, or a redo.
"""

from __future__ import annotations

from dataclasses import fields
from enum import IntEnum
from typing import Any

from PySide6.QtGui import QUndoCommand

from core.data.spec import DatasetSpec
from core.document import ProjectDocument
from core.project import Project
from core.spec import HeadSpec, InputSpec, LayerSpec, ModelSpec


class CommandId(IntEnum):
    """Ids QUndoStack uses to decide which commands may merge."""

    EDIT_LAYER = 1001
    SET_INPUT = 1002
    SET_HEAD = 1003
    SET_SETTING = 1005


class InsertLayer(QUndoCommand):
    """Insert ``layer`` at ``index`` (palette double-click, drop, duplicate)."""

    def __init__(
        self, document: ProjectDocument, index: int, layer: LayerSpec, text: str = ""
    ) -> None:
        super().__init__(text or f"Add {layer.name}")
        self._document = document
        self._index = max(0, min(index, len(document.layers)))
        self._layer = layer

    @property
    def index(self) -> int:
        return self._index

    def redo(self) -> None:
        self._document.insert_layer(self._index, self._layer)

    def undo(self) -> None:
        self._document.remove_layer(self._index)


class RemoveLayer(QUndoCommand):
    """Remove the layer at ``index``; undo puts the very same spec back."""

    def __init__(self, document: ProjectDocument, index: int, text: str = "") -> None:
        self._layer = document.layers[index]
        super().__init__(text or f"Delete {self._layer.name}")
        self._document = document
        self._index = index

    def redo(self) -> None:
        self._document.remove_layer(self._index)

    def undo(self) -> None:
        self._document.insert_layer(self._index, self._layer)


class MoveLayer(QUndoCommand):
    """Move the layer at ``src`` so that it ends up at index ``dst``."""

    def __init__(
        self, document: ProjectDocument, src: int, dst: int, text: str = ""
    ) -> None:
        super().__init__(text or f"Move {document.layers[src].name}")
        self._document = document
        self._src = src
        self._dst = dst

    def redo(self) -> None:
        self._document.move_layer(self._src, self._dst)

    def undo(self) -> None:
        self._document.move_layer(self._dst, self._src)


class EditLayer(QUndoCommand):
    """Replace the layer at ``index`` with ``new_layer`` (an option or the name).

    Edits of the same ``option`` of the same layer merge, so spinning a value
    from 32 to 64 is one undo step, not 32.
    """

    def __init__(
        self,
        document: ProjectDocument,
        index: int,
        new_layer: LayerSpec,
        option: str | None = None,
        text: str = "",
    ) -> None:
        self._old = document.layers[index]
        what = option or ("name" if new_layer.name != self._old.name else "options")
        super().__init__(text or f"Change {what} of {self._old.name}")
        self._document = document
        self._index = index
        self._new = new_layer
        self._option = option

    def id(self) -> int:
        return CommandId.EDIT_LAYER

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not (
            isinstance(other, EditLayer)
            and self._option is not None
            and other._option == self._option
            and other._index == self._index
            and other._old == self._new
        ):
            return False
        self._new = other._new
        # Spinning back to the start value leaves nothing to undo.
        self.setObsolete(self._new == self._old)
        return True

    def redo(self) -> None:
        self._document.replace_layer(self._index, self._new)

    def undo(self) -> None:
        self._document.replace_layer(self._index, self._old)


class _MergeableSetter(QUndoCommand):
    """Shared shape of SetInput/SetHead: old and new value, merge per field."""

    def __init__(self, old: object, new: object, text: str) -> None:
        super().__init__(text)
        self._old = old
        self._new = new
        self._fields = _changed_fields(old, new)

    def mergeWith(self, other: QUndoCommand) -> bool:
        if type(other) is not type(self) or other._fields != self._fields:
            return False
        if other._old != self._new:
            return False
        self._new = other._new
        self.setObsolete(self._new == self._old)
        return True

    def _apply(self, value: object) -> None:
        raise NotImplementedError

    def redo(self) -> None:
        self._apply(self._new)

    def undo(self) -> None:
        self._apply(self._old)


class SetInput(_MergeableSetter):
    """Change the input image shape (model page, or the dataset page)."""

    def __init__(
        self, document: ProjectDocument, input_spec: InputSpec, text: str = ""
    ) -> None:
        super().__init__(document.input, input_spec, text or "Change input shape")
        self._document = document

    def id(self) -> int:
        return CommandId.SET_INPUT

    def _apply(self, value: object) -> None:
        assert isinstance(value, InputSpec)
        self._document.set_input(value)


class SetHead(_MergeableSetter):
    """Change the classifier head (number of classes, binary activation)."""

    def __init__(
        self, document: ProjectDocument, head_spec: HeadSpec, text: str = ""
    ) -> None:
        super().__init__(document.head, head_spec, text or "Change classifier head")
        self._document = document

    def id(self) -> int:
        return CommandId.SET_HEAD

    def _apply(self, value: object) -> None:
        assert isinstance(value, HeadSpec)
        self._document.set_head(value)


class SetSpec(QUndoCommand):
    """Replace the whole model (load a preset or a project) in one undo step."""

    def __init__(
        self, document: ProjectDocument, new_spec: ModelSpec, text: str = ""
    ) -> None:
        super().__init__(text or "Replace model")
        self._document = document
        self._old = document.spec
        self._new = new_spec

    def redo(self) -> None:
        self._document.set_spec(self._new)

    def undo(self) -> None:
        self._document.set_spec(self._old)


class SetRecipe(QUndoCommand):
    """Replace model, dataset, augmentation and training at once (a preset's recipe).

    One command, so one undo brings all four back together.
    """

    def __init__(self, document: ProjectDocument, new: Project, text: str) -> None:
        super().__init__(text)
        self._document, self._old, self._new = document, document.project(), new

    def redo(self) -> None:
        self._document.set_project(self._new)

    def undo(self) -> None:
        self._document.set_project(self._old)


def _changed_fields(old: object, new: object) -> frozenset[str]:
    """Names of the dataclass fields that differ, the merge key for setters."""
    return frozenset(
        f.name for f in fields(old) if getattr(old, f.name) != getattr(new, f.name)
    )


class SetSetting(QUndoCommand):
    """Replace one of the document's settings objects (training, augmentation, ...).

    ``field`` names a ``ProjectDocument`` setter (``set_<field>``). Consecutive
    edits with the same ``key`` merge into one undo step, so dragging a spin
    box is undone in one go. Undo changes the document; pages follow its events.
    """

    def __init__(
        self, document: ProjectDocument, field: str, new: Any, key: str, text: str
    ) -> None:
        super().__init__(text)
        self.document, self.field, self.key = document, field, key
        self.old, self.new = getattr(document, field), new

    def id(self) -> int:
        return CommandId.SET_SETTING

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not (
            isinstance(other, SetSetting)
            and other.document is self.document
            and (other.field, other.key) == (self.field, self.key)
        ):
            return False
        self.new = other.new
        self.setObsolete(self.new == self.old)
        return True

    def redo(self) -> None:
        getattr(self.document, f"set_{self.field}")(self.new)

    def undo(self) -> None:
        getattr(self.document, f"set_{self.field}")(self.old)


class ApplyDataset(QUndoCommand):
    """Choose a dataset and fit the model's input and head to it, as one step.

    Undo restores all three together: the data, the input and the head.
    """

    def __init__(
        self,
        document: ProjectDocument,
        dataset: DatasetSpec | None,
        input_spec: InputSpec | None = None,
        head: HeadSpec | None = None,
        text: str = "",
    ) -> None:
        super().__init__(text or "Choose dataset")
        self.document = document
        self.old = (document.dataset, document.input, document.head)
        self.new = (
            dataset,
            input_spec or document.input,
            head or document.head,
        )

    def redo(self) -> None:
        self.document.apply_dataset(*self.new)

    def undo(self) -> None:
        self.document.apply_dataset(*self.old)
