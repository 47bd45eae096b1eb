"""LayerStackEditor: the stack list with delete, duplicate and reorder actions.

The list shows the LayerStackModel; every action pushes an undo command that
changes the project document, and the list follows its events, so the selection is kept
by Qt's persistent indexes through moves, and follows inserts.
"""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, Signal, Slot
from PySide6.QtGui import QAction, QIcon, QKeySequence, QUndoCommand, QUndoStack
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QListView,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop import colours
from desktop.undo_commands import InsertLayer, MoveLayer, RemoveLayer
from desktop.widgets.layer_icons import duplicate_icon
from desktop.widgets.layer_row_delegate import LayerRowDelegate
from desktop.widgets.layer_stack_model import (
    BACKBONE_PREFIX,
    LayerStackModel,
    kind_command,
)

SP = QStyle.StandardPixmap


class LayerStackEditor(QWidget):
    """List view plus a small tool row; ``current_row_changed(-1)`` means none."""

    current_row_changed = Signal(int)

    def __init__(
        self,
        model: LayerStackModel,
        undo_stack: QUndoStack,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.model = model
        self._undo_stack = undo_stack
        self.view = QListView()
        self.view.setModel(model)
        self.view.setItemDelegate(LayerRowDelegate(self.view))
        self.view.setUniformItemSizes(True)
        self.view.setAlternatingRowColors(True)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.view.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.view.setDropIndicatorShown(True)
        self.view.setDragDropOverwriteMode(False)

        self.remove_action = self._action(
            "Delete layer",
            QKeySequence.StandardKey.Delete,
            SP.SP_TrashIcon,
            self.remove_current,
        )
        self.duplicate_action = self._action(
            "Duplicate layer",
            "Ctrl+D",
            duplicate_icon(),
            self.duplicate_current,
        )
        self.move_up_action = self._action(
            "Move layer up", "Ctrl+Up", SP.SP_ArrowUp, lambda: self.move_current(-1)
        )
        self.move_down_action = self._action(
            "Move layer down",
            "Ctrl+Down",
            SP.SP_ArrowDown,
            lambda: self.move_current(1),
        )

        header = QHBoxLayout()
        title = QLabel(
            "<b>Layers</b> "
            + colours.span("(input at the top, classifier last)", "muted")
        )
        header.addWidget(title, 1)
        for action in self.layer_actions():
            button = QToolButton()
            button.setDefaultAction(action)
            button.setAutoRaise(True)
            header.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(header)
        layout.addWidget(self.view, 1)

        self.view.selectionModel().currentRowChanged.connect(
            self._on_selection_current_row_changed
        )
        model.rowsInserted.connect(self._on_model_rows_inserted)
        model.modelReset.connect(self._on_model_reset)
        model.stack_changed.connect(self._update_actions)
        self._update_actions()

    def _action(self, text: str, shortcut, icon: SP | QIcon, slot) -> QAction:
        if not isinstance(icon, QIcon):
            icon = self.style().standardIcon(icon)
        action = QAction(icon, text, self)
        action.setShortcut(QKeySequence(shortcut))
        # Only while the list (or its buttons) has focus: Delete in a form
        # field must delete characters, not layers.
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        native = QKeySequence.SequenceFormat.NativeText
        action.setToolTip(f"{text} ({action.shortcut().toString(native)})")
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def layer_actions(self) -> list[QAction]:
        return [
            self.move_up_action,
            self.move_down_action,
            self.duplicate_action,
            self.remove_action,
        ]

    # ---------------------------------------------------------- selection
    def current_row(self) -> int:
        index = self.view.currentIndex()
        return index.row() if index.isValid() else -1

    def current_layer_row(self) -> int:
        """The selected row if it is a layer (not the head), else -1."""
        row = self.current_row()
        return row if 0 <= row < len(self.model.document.layers) else -1

    def select_row(self, row: int) -> None:
        index = self.model.index(row)
        flags = QItemSelectionModel.SelectionFlag.ClearAndSelect
        self.view.selectionModel().setCurrentIndex(index, flags)
        self.view.scrollTo(index)

    # ------------------------------------------------------------- edits
    def insert_kind(self, class_name: str, row: int | None = None) -> None:
        """Add a new layer of ``class_name`` below the selection (or at the end).

        A palette backbone (``"Backbone:VGG16"``) always goes first.
        """
        if row is None:
            current = self.current_layer_row()
            row = current + 1 if current >= 0 else len(self.model.document.layers)
        row = max(row, self.model.first_free_row())  # never above a backbone
        command = kind_command(self.model.document, class_name, row)
        if command is not None:
            self._push(command)
        if class_name.startswith(BACKBONE_PREFIX):
            self.select_row(0)

    @Slot()
    def remove_current(self) -> None:
        row = self.current_layer_row()
        if row >= 0:
            self._push(RemoveLayer(self.model.document, row))
            self.select_row(min(row, len(self.model.document.layers)))

    @Slot()
    def duplicate_current(self) -> None:
        row = self.current_layer_row()
        if row >= self.model.first_free_row():
            document = self.model.document
            copy = document.copy_of(row)
            self._push(
                InsertLayer(
                    document, row + 1, copy, f"Duplicate {document.layers[row].name}"
                )
            )

    def move_current(self, step: int) -> None:
        row = self.current_layer_row()
        dst = row + step
        first = self.model.first_free_row()
        if row >= first and first <= dst < len(self.model.document.layers):
            self._push(MoveLayer(self.model.document, row, dst))

    def _push(self, command: QUndoCommand) -> None:
        self._undo_stack.push(command)

    # -------------------------------------------------------------- slots
    @Slot(QModelIndex, QModelIndex)
    def _on_selection_current_row_changed(
        self, current: QModelIndex, previous: QModelIndex
    ) -> None:
        self._update_actions()
        self.current_row_changed.emit(current.row() if current.isValid() else -1)

    @Slot(QModelIndex, int, int)
    def _on_model_rows_inserted(
        self, parent: QModelIndex, first: int, last: int
    ) -> None:
        self.select_row(first)

    @Slot()
    def _on_model_reset(self) -> None:
        self._update_actions()
        self.current_row_changed.emit(-1)

    @Slot()
    def _update_actions(self) -> None:
        row = self.current_layer_row()
        count = len(self.model.document.layers)
        self.remove_action.setEnabled(row >= 0)
        first = self.model.first_free_row()  # 1: the backbone stays first
        movable = row >= first
        # A second backbone is never valid, so the backbone is not duplicated.
        self.duplicate_action.setEnabled(movable)
        self.move_up_action.setEnabled(movable and row > first)
        self.move_down_action.setEnabled(movable and row < count - 1)
