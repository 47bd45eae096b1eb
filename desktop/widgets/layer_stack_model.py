"""LayerStackModel: a Qt list model adapting the GUI-free core LayerStack.

As napari's ``_qt/containers`` models do, it mirrors the core list from its
events. The stack announces a change only *after* it happened, while Qt needs
``beginInsertRows`` etc. *before* the rows change, with the old rows still
readable. So the model keeps a shadow copy of the rows (layer and its report)
and changes that copy between ``begin*`` and ``end*``; after each structural
step it diffs the whole shadow against the fresh summary and emits
``dataChanged`` for rows whose shape, parameters or error moved. The last row
is the locked classifier head; a backbone's row is pinned first (no drags,
and drops land below it).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QByteArray,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QUndoStack

from core.layer_stack import LayerStack
from core.layers import LAYER_KINDS, layer_kind
from core.spec import LayerSpec
from core.summary import LayerReport
from desktop import colours
from desktop.undo_commands import EditLayer, InsertLayer, MoveLayer
from desktop.widgets.layer_icons import category_icon, error_icon, lock_icon
from desktop.widgets.layer_text import (
    describe_options,
    report_params,
    report_shape,
)

KIND_MIME = "application/x-cnn-workbench-layer-kind"
ROW_MIME = "application/x-cnn-workbench-layer-row"
# Palette kinds "Backbone:VGG16" etc.: a backbone of that architecture.
BACKBONE_PREFIX = "Backbone:"
_Index = QModelIndex | QPersistentModelIndex


class Role(IntEnum):
    """Custom data roles; the delegate and the details pane read these."""

    LAYER = Qt.ItemDataRole.UserRole + 1  # LayerSpec
    REPORT = Qt.ItemDataRole.UserRole + 2  # LayerReport | None
    LOCKED = Qt.ItemDataRole.UserRole + 3  # bool: the head row
    OPTIONS = Qt.ItemDataRole.UserRole + 4  # "32 filters 3x3 relu valid"
    SHAPE = Qt.ItemDataRole.UserRole + 5  # "(None, 30, 30, 32)"
    PARAMS = Qt.ItemDataRole.UserRole + 6  # "896"
    ERROR = Qt.ItemDataRole.UserRole + 7  # str | None


@dataclass(frozen=True)
class _Row:
    layer: LayerSpec
    report: LayerReport | None


class LayerStackModel(QAbstractListModel):
    """Rows are the stack's layers plus the locked head; edits go to undo commands.

    ``stack_changed`` fires after the model has caught up with any change of
    the stack, so widgets showing totals or the selected layer refresh then.
    """

    stack_changed = Signal()

    def __init__(
        self,
        stack: LayerStack,
        undo_stack: QUndoStack | None = None,
        parent: Any = None,
    ) -> None:
        super().__init__(parent)
        self._stack = stack
        self._undo_stack = undo_stack
        self._rows: list[_Row] = self._fresh_rows()
        handlers = {
            stack.inserted: self._on_stack_inserted,
            stack.removed: self._on_stack_removed,
            stack.moved: self._on_stack_moved,
            stack.reset: self._on_stack_reset,
            stack.changed: self._on_stack_changed,
        }
        for event, handler in handlers.items():
            event.connect(handler)
        # The stack outlives views; unhook when Qt deletes us, or the stack
        # would call into a deleted C++ object. The lambda must not hold self.
        self.destroyed.connect(
            lambda *_: [event.disconnect(h) for event, h in handlers.items()]
        )

    @property
    def stack(self) -> LayerStack:
        return self._stack

    def head_row(self) -> int:
        return len(self._rows) - 1

    def is_head(self, index: _Index) -> bool:
        return index.isValid() and index.row() == self.head_row()

    def first_free_row(self) -> int:
        """The first row a layer may be inserted or moved to: 1 below a backbone."""
        return 1 if self._stack.spec.backbone is not None else 0

    def is_pinned(self, row: int) -> bool:
        """The backbone row: always first, it never moves."""
        return row == 0 and self._stack.spec.backbone is not None

    # ------------------------------------------------------------ read side
    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        locked = index.row() == self.head_row()
        error = row.report.error if row.report else None
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                f"{row.layer.name} ({row.layer.class_name})  "
                f"{describe_options(row.layer)}  {report_shape(row.report)}  "
                f"{report_params(row.report)}"
            )
        if role == Qt.ItemDataRole.ToolTipRole:
            return _tooltip(row, locked)
        if role == Qt.ItemDataRole.ForegroundRole:
            if error:
                return QBrush(colours.role("error"))
            return QBrush(colours.role("muted")) if locked else None
        if role == Qt.ItemDataRole.DecorationRole:
            if error:
                return error_icon()
            if locked:
                return lock_icon()
            return category_icon(layer_kind(row.layer.class_name).category)
        return self._custom_data(row, locked, error, role)

    def _custom_data(
        self, row: _Row, locked: bool, error: str | None, role: int
    ) -> Any:
        values = {
            Role.LAYER: lambda: row.layer,
            Role.REPORT: lambda: row.report,
            Role.LOCKED: lambda: locked,
            Role.OPTIONS: lambda: describe_options(row.layer),
            Role.SHAPE: lambda: report_shape(row.report),
            Role.PARAMS: lambda: report_params(row.report),
            Role.ERROR: lambda: error,
        }
        getter = values.get(role)  # type: ignore[call-overload]
        return getter() if getter else None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            # Drops land between rows, never onto a layer.
            return Qt.ItemFlag.ItemIsDropEnabled
        flags = Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled
        if not self.is_head(index) and not self.is_pinned(index.row()):
            flags |= Qt.ItemFlag.ItemIsDragEnabled
        return flags

    # ------------------------------------------------------- drag and drop
    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction | Qt.DropAction.CopyAction

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def mimeTypes(self) -> list[str]:
        return [KIND_MIME, ROW_MIME]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        rows = sorted({i.row() for i in indexes if i.isValid() and not self.is_head(i)})
        mime = QMimeData()
        mime.setData(ROW_MIME, QByteArray(json.dumps(rows).encode()))
        return mime

    def canDropMimeData(
        self,
        data: QMimeData,
        action: Qt.DropAction,
        row: int,
        column: int,
        parent: _Index,
    ) -> bool:
        return data.hasFormat(KIND_MIME) or data.hasFormat(ROW_MIME)

    def dropMimeData(
        self,
        data: QMimeData,
        action: Qt.DropAction,
        row: int,
        column: int,
        parent: _Index,
    ) -> bool:
        """Insert a palette kind, or move a dragged layer, before ``row``."""
        if action == Qt.DropAction.IgnoreAction:
            return True
        if row < 0:
            row = parent.row() if parent.isValid() else len(self._stack)
        row = min(row, len(self._stack))  # never below the head
        row = max(row, self.first_free_row())  # never above a backbone
        if data.hasFormat(KIND_MIME):
            kind = bytes(data.data(KIND_MIME).data()).decode()
            command = kind_command(self._stack, kind, row)
            if command is None:
                return False
            self._push(command)
            return True
        if data.hasFormat(ROW_MIME):
            rows = json.loads(bytes(data.data(ROW_MIME).data()).decode() or "[]")
            if len(rows) != 1:
                return False
            return self._move(rows[0], row)
        return False

    def moveRows(
        self, src_parent: _Index, src: int, count: int, dst_parent: _Index, dst: int
    ) -> bool:
        """QListView's internal drag-move lands here; ``dst`` is Qt's "before row"."""
        if count != 1 or src_parent.isValid() or dst_parent.isValid():
            return False
        return self._move(src, min(dst, len(self._stack)))

    def _move(self, src: int, before: int) -> bool:
        if not 0 <= src < len(self._stack) or self.is_pinned(src):
            return False
        before = max(before, self.first_free_row())
        dst = before - 1 if before > src else before
        if dst != src:
            self._push(MoveLayer(self._stack, src, dst))
        return True

    def _push(self, command: Any) -> None:
        if self._undo_stack is None:
            command.redo()
        else:
            self._undo_stack.push(command)

    # --------------------------------------------------- core event mirror
    def _fresh_rows(self) -> list[_Row]:
        layers = [*self._stack.layers, self._stack.spec.head.layer()]
        reports = self._stack.summary.layers
        return [
            _Row(layer, report) for layer, report in zip(layers, reports, strict=True)
        ]

    def _on_stack_inserted(self, index: int) -> None:
        self.beginInsertRows(QModelIndex(), index, index)
        self._rows.insert(index, _Row(self._stack[index], None))
        self.endInsertRows()

    def _on_stack_removed(self, index: int, layer: LayerSpec) -> None:
        self.beginRemoveRows(QModelIndex(), index, index)
        del self._rows[index]
        self.endRemoveRows()

    def _on_stack_moved(self, src: int, dst: int) -> None:
        # Qt wants the row it will sit *before*, counted in the old order.
        before = dst + 1 if dst > src else dst
        self.beginMoveRows(QModelIndex(), src, src, QModelIndex(), before)
        self._rows.insert(dst, self._rows.pop(src))
        self.endMoveRows()

    def _on_stack_reset(self) -> None:
        self.beginResetModel()
        self._rows = self._fresh_rows()
        self.endResetModel()

    def _on_stack_changed(self) -> None:
        """Bring every row's content (names, options, shapes, params) up to date."""
        fresh = self._fresh_rows()
        if len(fresh) != len(self._rows):  # a change we had no event for
            self._on_stack_reset()
        else:
            changed = [
                i
                for i, (a, b) in enumerate(zip(self._rows, fresh, strict=True))
                if a != b
            ]
            self._rows = fresh
            if changed:
                self.dataChanged.emit(self.index(changed[0]), self.index(changed[-1]))
        self.stack_changed.emit()


def kind_command(stack: LayerStack, kind: str, row: int) -> Any:
    """Adding a palette ``kind`` at ``row``, undoable; None for an unknown kind.

    A backbone (``"Backbone:VGG16"``) goes first whatever the row (see
    ``backbone_command``); callers keep other rows below it.
    """
    if kind.startswith(BACKBONE_PREFIX):
        return backbone_command(stack, kind[len(BACKBONE_PREFIX) :])
    if kind not in LAYER_KINDS:
        return None
    return InsertLayer(stack, row, stack.new_layer(kind))


def backbone_command(stack: LayerStack, architecture: str) -> Any:
    """Insert a backbone as the first row, or switch the existing one's architecture."""
    first = stack.spec.backbone
    if first is not None:
        # Through the spec: it also renames a backbone named after the old
        # architecture and drops freeze options naming the old one's layers.
        switched = stack.spec.with_backbone_options(architecture=architecture)
        return EditLayer(stack, 0, switched.layers[0], "architecture")
    layer = stack.new_layer("Backbone", {"architecture": architecture})
    return InsertLayer(stack, 0, layer, f"Add {architecture} backbone")


def _tooltip(row: _Row, locked: bool) -> str:
    report = row.report
    if report and report.error:
        return f"{row.layer.name} cannot work: {report.error}"
    kind = layer_kind(row.layer.class_name)
    lines = [f"{row.layer.name} ({row.layer.class_name}): {kind.description}"]
    if locked:
        lines = [
            f"{row.layer.name}: the classifier head, set by the number of classes. "
            "It always comes last and cannot be moved or deleted."
        ]
    lines.append(f"Output {report_shape(report)}, {report_params(report)} parameters")
    return "\n".join(lines)
