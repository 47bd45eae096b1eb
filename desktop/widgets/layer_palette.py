"""LayerPalette: the layer kinds a user can add, grouped by category.

Double-click (or Enter) asks for the kind to be added; dragging a kind onto the
stack list drops it where the mouse is. The palette only announces intent: the
page turns it into an undoable insert.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QByteArray, QMimeData, Qt, Signal, Slot
from PySide6.QtWidgets import QAbstractItemView, QTreeWidget, QTreeWidgetItem

from core.backbones import BACKBONES
from core.layers import BACKBONE_KIND, LAYER_KINDS
from desktop.widgets.layer_icons import category_icon
from desktop.widgets.layer_stack_model import BACKBONE_PREFIX, KIND_MIME

_KIND_ROLE = Qt.ItemDataRole.UserRole + 1


class LayerPalette(QTreeWidget):
    """A two-level tree: categories, then the layer kinds in each."""

    kind_activated = Signal(str)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setHeaderHidden(True)
        self.setRootIsDecorated(False)
        self.setIndentation(12)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setDefaultDropAction(Qt.DropAction.CopyAction)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setToolTip("Double-click or drag a layer into the stack")
        self.setMinimumWidth(205)
        self._build()
        self.itemActivated.connect(self._on_tree_item_activated)

    def _build(self) -> None:
        self._build_backbones()
        groups: dict[str, QTreeWidgetItem] = {}
        for kind in LAYER_KINDS.values():
            group = groups.get(kind.category)
            if group is None:
                group = QTreeWidgetItem(self, [kind.category])
                group.setFlags(Qt.ItemFlag.ItemIsEnabled)
                font = group.font(0)
                font.setBold(True)
                group.setFont(0, font)
                groups[kind.category] = group
            item = QTreeWidgetItem(group, [kind.class_name])
            item.setIcon(0, category_icon(kind.category))
            item.setData(0, _KIND_ROLE, kind.class_name)
            item.setToolTip(0, f"<b>{kind.class_name}</b><br>{kind.description}")
            item.setFlags(
                Qt.ItemFlag.ItemIsEnabled
                | Qt.ItemFlag.ItemIsSelectable
                | Qt.ItemFlag.ItemIsDragEnabled
            )
        self.expandAll()

    def _build_backbones(self) -> None:
        """One entry per architecture; it always goes first in the stack."""
        # A short title: the palette is narrow, the longer text is the tooltip.
        group = QTreeWidgetItem(self, ["Backbones"])
        group.setToolTip(
            0, "Backbones (transfer learning): pretrained convnets to build on"
        )
        group.setFlags(Qt.ItemFlag.ItemIsEnabled)
        font = group.font(0)
        font.setBold(True)
        group.setFont(0, font)
        for arch in BACKBONES:
            item = QTreeWidgetItem(group, [arch])
            item.setIcon(0, category_icon(BACKBONE_KIND.category))
            item.setData(0, _KIND_ROLE, BACKBONE_PREFIX + arch)
            item.setToolTip(
                0,
                f"<b>{arch}</b><br>{BACKBONE_KIND.description}<br>"
                "Added as the first row; replaces the architecture of an "
                "existing backbone.",
            )
            item.setFlags(
                Qt.ItemFlag.ItemIsEnabled
                | Qt.ItemFlag.ItemIsSelectable
                | Qt.ItemFlag.ItemIsDragEnabled
            )

    def current_kind(self) -> str | None:
        """The selected layer kind, or None when a category (or nothing) is."""
        item = self.currentItem()
        return item.data(0, _KIND_ROLE) if item is not None else None

    def item_for(self, class_name: str) -> QTreeWidgetItem:
        """The tree item of a kind (tests and keyboard navigation use it)."""
        for group_row in range(self.topLevelItemCount()):
            group = self.topLevelItem(group_row)
            for row in range(group.childCount()):
                if group.child(row).data(0, _KIND_ROLE) == class_name:
                    return group.child(row)
        raise KeyError(class_name)

    def mimeTypes(self) -> list[str]:
        return [KIND_MIME]

    def mimeData(self, items: Sequence[QTreeWidgetItem]) -> QMimeData:
        mime = QMimeData()
        kinds = [i.data(0, _KIND_ROLE) for i in items if i.data(0, _KIND_ROLE)]
        if kinds:
            mime.setData(KIND_MIME, QByteArray(kinds[0].encode()))
        return mime

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.CopyAction

    @Slot(QTreeWidgetItem, int)
    def _on_tree_item_activated(self, item: QTreeWidgetItem, column: int) -> None:
        kind = item.data(0, _KIND_ROLE)
        if kind:
            self.kind_activated.emit(kind)
