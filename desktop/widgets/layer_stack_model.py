"""LayerStackModel: a Qt list model over the project document's layers.

As napari's ``_qt/containers`` models do, it reads the core list directly and
maps its events one to one onto Qt's: ``inserting``/``inserted`` onto
``beginInsertRows``/``endInsertRows``, and likewise for removing and moving,
so there is no shadow copy of the rows to keep in step. A layer's output
shape depends on every layer above it, so when the document announces the new
summary (``events.model``) the rows from the first one touched down to the
head get ``dataChanged``; until then a row shows the report it had, looked up
by the layer's (unique) name, so a row's text never changes unannounced. The
last row is the locked classifier head; a backbone's row
is pinned first (no drags, and drops land below it).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from enum import IntEnum
from typing import Any, NamedTuple

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

from core.document import ProjectDocument
from core.layers import LAYER_KINDS, layer_kind
from core.spec import LayerSpec
from core.summary import LayerReport
from desktop import colours
from desktop.document_links import connect_while_alive
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


class LayerStackModel(QAbstractListModel):
    """Rows are the document's layers plus the locked head; edits go to undo commands.

    ``stack_changed`` fires after the model has caught up with any change of
    the model's layers, input or head, so widgets showing totals or the
    selected layer refresh then.
    """

    stack_changed = Signal()

    def __init__(
        self,
        document: ProjectDocument,
        undo_stack: QUndoStack | None = None,
        parent: Any = None,
    ) -> None:
        super().__init__(parent)
        self._document = document
        self._undo_stack = undo_stack
        self._first_stale: int | None = None  # the first row whose shape may change
        self._reports: dict[str, LayerReport] = {}  # as last announced, by name
        self._head_report: LayerReport | None = None
        self._remember_reports()
        layers, events = document.layers.events, document.events
        connect_while_alive(
            self,
            [
                (layers.inserting, self._on_layers_inserting),
                (layers.inserted, self._on_layers_inserted),
                (layers.removing, self._on_layers_removing),
                (layers.removed, self._on_layers_removed),
                (layers.moving, self._on_layers_moving),
                (layers.moved, self._on_layers_moved),
                (layers.changed, self._on_layers_changed),
                (events.head, self._on_head),
                (events.loading, self._on_loading),
                (events.loaded, self._on_loaded),
                (events.model, self._on_model),
            ],
        )

    @property
    def document(self) -> ProjectDocument:
        return self._document

    def head_row(self) -> int:
        return len(self._document.layers)

    def is_head(self, index: _Index) -> bool:
        return index.isValid() and index.row() == self.head_row()

    def first_free_row(self) -> int:
        """The first row a layer may be inserted or moved to: 1 below a backbone."""
        return 1 if self._document.spec.backbone is not None else 0

    def is_pinned(self, row: int) -> bool:
        """The backbone row: always first, it never moves."""
        return row == 0 and self._document.spec.backbone is not None

    # ------------------------------------------------------------ read side
    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._document.layers) + 1

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() <= self.head_row():
            return None
        row = self._row(index.row())
        locked = index.row() == self.head_row()
        report = row.report
        # A table being measured is a wait: shown muted, not as a mistake.
        error = report.error if report and not report.pending else None
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
            Role.OPTIONS: lambda: (
                row.report.error
                if row.report and row.report.pending
                else describe_options(row.layer)
            ),
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
            row = parent.row() if parent.isValid() else len(self._document.layers)
        row = min(row, len(self._document.layers))  # never below the head
        row = max(row, self.first_free_row())  # never above a backbone
        if data.hasFormat(KIND_MIME):
            kind = bytes(data.data(KIND_MIME).data()).decode()
            command = kind_command(self._document, kind, row)
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
        return self._move(src, min(dst, len(self._document.layers)))

    def _move(self, src: int, before: int) -> bool:
        if not 0 <= src < len(self._document.layers) or self.is_pinned(src):
            return False
        before = max(before, self.first_free_row())
        dst = before - 1 if before > src else before
        if dst != src:
            self._push(MoveLayer(self._document, src, dst))
        return True

    def _push(self, command: Any) -> None:
        if self._undo_stack is None:
            command.redo()
        else:
            self._undo_stack.push(command)

    # ------------------------------------------------- document events
    def _row(self, row: int) -> _Row:
        """The layer at ``row`` (the head's after the last) and its report."""
        doc = self._document
        if row == len(doc.layers):
            return _Row(doc.head.layer(), self._head_report)
        layer = doc.layers[row]
        return _Row(layer, self._reports.get(layer.name))

    def _remember_reports(self) -> None:
        *reports, self._head_report = self._document.summary.layers
        self._reports = {
            layer.name: report
            for layer, report in zip(self._document.layers, reports, strict=True)
        }

    def _stale_from(self, row: int) -> None:
        if self._first_stale is None or row < self._first_stale:
            self._first_stale = row

    def _on_layers_inserting(self, index: int) -> None:
        self.beginInsertRows(QModelIndex(), index, index)

    def _on_layers_inserted(self, index: int) -> None:
        self.endInsertRows()
        self._stale_from(index + 1)

    def _on_layers_removing(self, index: int) -> None:
        self.beginRemoveRows(QModelIndex(), index, index)

    def _on_layers_removed(self, index: int) -> None:
        self.endRemoveRows()
        self._stale_from(index)

    def _on_layers_moving(self, src: int, before: int) -> None:
        # psygnal's ``before`` is Qt's destination row: both count the old order.
        self.beginMoveRows(QModelIndex(), src, src, QModelIndex(), before)

    def _on_layers_moved(self, src: int, dst: int) -> None:
        self.endMoveRows()
        self._stale_from(min(src, dst))

    def _on_layers_changed(self, index: int) -> None:
        self._stale_from(index)

    def _on_head(self) -> None:
        self._stale_from(self.head_row())

    def _on_loading(self) -> None:
        self.beginResetModel()

    def _on_loaded(self) -> None:
        self._remember_reports()
        self.endResetModel()
        self._first_stale = None

    def _on_model(self) -> None:
        """Shapes, parameters and errors changed from the first row touched down."""
        first = 0 if self._first_stale is None else self._first_stale
        self._first_stale = None
        self._remember_reports()
        head = self.head_row()
        if first <= head:
            self.dataChanged.emit(self.index(first), self.index(head))
        self.stack_changed.emit()


def kind_command(document: ProjectDocument, kind: str, row: int) -> Any:
    """Adding a palette ``kind`` at ``row``, undoable; None for an unknown kind.

    A backbone (``"Backbone:VGG16"``) goes first whatever the row (see
    ``backbone_command``); callers keep other rows below it.
    """
    if kind.startswith(BACKBONE_PREFIX):
        return backbone_command(document, kind[len(BACKBONE_PREFIX) :])
    if kind not in LAYER_KINDS:
        return None
    return InsertLayer(document, row, document.new_layer(kind))


def backbone_command(document: ProjectDocument, architecture: str) -> Any:
    """Insert a backbone as the first row, or switch the existing one's architecture."""
    first = document.spec.backbone
    if first is not None:
        # Through the spec: it also renames a backbone named after the old
        # architecture and drops freeze options naming the old one's layers.
        switched = document.spec.with_backbone_options(architecture=architecture)
        return EditLayer(document, 0, switched.layers[0], "architecture")
    layer = document.new_layer("Backbone", {"architecture": architecture})
    return InsertLayer(document, 0, layer, f"Add {architecture} backbone")


class _Row(NamedTuple):
    layer: LayerSpec
    report: LayerReport | None


def _tooltip(row: _Row, locked: bool) -> str:
    report = row.report
    if report and report.pending:
        return f"{row.layer.name}: {report.error}"
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
