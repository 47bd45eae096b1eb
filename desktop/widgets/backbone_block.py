"""BackboneBlock: the backbone shown as one expandable block under the stack.

Collapsed by default (one header line: architecture, layer count, how many
train); expanded, it lists the backbone's inner layers with their output
shapes, weights and trainable state. The freeze control on the header picks
what trains; choosing "all before layer…" unfreezes from the layer chosen
beside it (or from a right-click on an inner layer), "all but the last N"
trains as many of the last layers as the spin box beside it says. Like the
rest of the editor, the block only announces intent through
``freeze_edited(dict)``; the page pushes the undoable edit.
"""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt, Signal, Slot
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMenu,
    QSizePolicy,
    QSpinBox,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.backbones import effective_freeze, preprocessing_steps
from core.spec import LayerSpec
from core.summary import LayerReport, format_shape
from desktop import colours
from desktop.widgets.wheel_guard import wheel_when_focused

FREEZE_LABELS = {
    "all": "all layers",
    # The chosen layer is the first that trains: everything before it freezes.
    "from_layer": "all before layer…",
    "last_n": "all but the last N",
    "none": "nothing",
}


class BackboneBlock(QFrame):
    """Header (toggle, title, freeze controls) and a tree of the inner layers."""

    freeze_edited = Signal(dict)
    expanded_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("backboneBlock")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self._layer: LayerSpec | None = None
        self._shown: tuple[LayerSpec | None, LayerReport | None] | None = None
        self.toggle = QToolButton()
        self.toggle.setCheckable(True)
        self.toggle.setAutoRaise(True)
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.toggle.setToolTip("Show or hide the backbone's layers")
        self.title = QLabel()
        self.title.setWordWrap(True)
        self.freeze_combo = wheel_when_focused(QComboBox())
        for mode, label in FREEZE_LABELS.items():
            self.freeze_combo.addItem(label, mode)
        self.freeze_combo.setToolTip(
            "Which backbone layers train. BatchNormalization layers always stay frozen."
        )
        self.from_combo = wheel_when_focused(QComboBox())
        self.from_combo.setMaxVisibleItems(20)
        self.from_combo.setToolTip("The first backbone layer that trains")
        self.from_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.last_n_spin = wheel_when_focused(QSpinBox())
        self.last_n_spin.setRange(0, 10_000)
        self.last_n_spin.setKeyboardTracking(False)
        self.last_n_spin.setPrefix("N = ")
        self.last_n_spin.setToolTip(
            "How many of the backbone's last layers train (BatchNormalization "
            "layers among them stay frozen)"
        )
        self.busy = QLabel()
        self.busy.setWordWrap(True)  # a long note must not widen the window
        self.busy.setStyleSheet(f"color: {colours.css('muted')};")
        self.tree = QTreeWidget()
        self.tree.setColumnCount(4)
        self.tree.setHeaderLabels(["Layer", "Output shape", "Param #", "State"])
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(True)
        self.tree.setUniformRowHeights(True)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.setMinimumHeight(180)
        self.tree.setVisible(False)

        header = QHBoxLayout()
        header.setContentsMargins(0, 0, 0, 0)
        header.addWidget(self.toggle)
        header.addWidget(self.title, 1)
        header.addWidget(QLabel("Freeze:"))
        header.addWidget(self.freeze_combo)
        header.addWidget(self.from_combo)
        header.addWidget(self.last_n_spin)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addLayout(header)
        layout.addWidget(self.busy)
        layout.addWidget(self.tree, 1)

        self.toggle.toggled.connect(self._on_toggle_toggled)
        self.freeze_combo.activated.connect(self._on_freeze_combo_activated)
        self.from_combo.activated.connect(self._on_from_combo_activated)
        self.last_n_spin.valueChanged.connect(self._on_last_n_spin_value_changed)
        self.tree.customContextMenuRequested.connect(self._on_tree_context_menu)
        self._fit_height(False)
        self.set_block(None, None)

    # ------------------------------------------------------------ public API
    def is_expanded(self) -> bool:
        return self.toggle.isChecked()

    def set_expanded(self, expanded: bool) -> None:
        self.toggle.setChecked(expanded)

    def set_busy(self, text: str) -> None:
        """A note while the backbone's layers are measured (empty: none)."""
        self.busy.setText(text)
        self.busy.setVisible(bool(text))

    def set_block(self, layer: LayerSpec | None, report: LayerReport | None) -> None:
        """Show the backbone ``layer`` and its block ``report`` (None: no backbone)."""
        if (layer, report) == self._shown:
            return  # most edits are to other layers: keep the tree as it is
        self._shown = (layer, report)
        self._layer = layer
        self.setVisible(layer is not None)
        if layer is None:
            self.tree.clear()
            return
        config = layer.config
        freeze = effective_freeze(config)
        inner = report.inner if report is not None else ()
        # The preprocessing steps are stock layers in front of the backbone, not
        # its own (channels=1: every step there can be, the RGB repeat too).
        prep = {s.name for s in preprocessing_steps(layer.name, config, 1)}
        own = [r for r in inner if r.name not in prep]
        names = [r.name for r in own]
        with QSignalBlocker(self.freeze_combo):
            self.freeze_combo.setCurrentIndex(
                max(0, self.freeze_combo.findData(freeze["freeze"]))
            )
        with QSignalBlocker(self.from_combo):
            self.from_combo.clear()
            self.from_combo.addItems(names)
            self.from_combo.setCurrentText(freeze["unfreeze_from"])
        self.from_combo.setVisible(freeze["freeze"] == "from_layer")
        self.from_combo.setEnabled(bool(names))
        with QSignalBlocker(self.last_n_spin):
            if names:
                self.last_n_spin.setMaximum(len(names))
            self.last_n_spin.setValue(freeze["last_n"])
        self.last_n_spin.setVisible(freeze["freeze"] == "last_n")
        arch = config.get("architecture", "")
        if report is None or not inner:
            problem = report.error if report is not None else ""
            self.title.setText(
                f"<b>{layer.name}</b> ({arch}) " + colours.span(problem, "muted")
            )
            self.tree.clear()
            return
        # Count only the backbone's own layers, as the details pane does.
        unfrozen = sum(1 for r in own if not r.frozen)
        problem = "<br>" + colours.span(report.error, "error") if report.error else ""
        self.title.setText(
            f"<b>{arch}</b>: {len(own)} layers ({unfrozen} trainable) · "
            f"<b>{report.trainable:,}</b> trainable / "
            f"{report.non_trainable:,} frozen weights{problem}"
        )
        self.title.setToolTip("\n".join(report.notes))
        self._fill_tree(inner, prep)

    def inner_states(self) -> dict[str, str]:
        """Inner layer name -> "trainable", "frozen" or "fixed" (preprocessing)."""
        root = self.tree.invisibleRootItem()
        return {
            root.child(i).text(0).split(" ")[0]: root.child(i).text(3)
            for i in range(root.childCount())
        }

    # --------------------------------------------------------------- helpers
    def _fill_tree(self, inner: tuple[LayerReport, ...], prep: set[str]) -> None:
        self.tree.clear()
        items = []
        for r in inner:
            # Preprocessing has no weights: "fixed", neither frozen nor trainable.
            state = "fixed" if r.name in prep else "frozen" if r.frozen else "trainable"
            item = QTreeWidgetItem(
                [
                    f"{r.name} ({r.class_name})",
                    format_shape(r.output_shape),
                    f"{r.params:,}",
                    state,
                ]
            )
            item.setData(0, Qt.ItemDataRole.UserRole, r.name)
            item.setForeground(3, QBrush(colours.role("muted" if r.frozen else "ok")))
            item.setTextAlignment(2, Qt.AlignmentFlag.AlignRight)
            item.setToolTip(
                0, f"{r.name}: {r.trainable:,} trainable, {r.non_trainable:,} fixed"
            )
            items.append(item)
        self.tree.addTopLevelItems(items)
        for column in range(4):
            self.tree.resizeColumnToContents(column)

    # ----------------------------------------------------------------- slots
    @Slot(bool)
    def _on_toggle_toggled(self, expanded: bool) -> None:
        self.toggle.setArrowType(
            Qt.ArrowType.DownArrow if expanded else Qt.ArrowType.RightArrow
        )
        self.tree.setVisible(expanded)
        self._fit_height(expanded)
        self.expanded_changed.emit(expanded)

    def _fit_height(self, expanded: bool) -> None:
        """Collapsed: just the header's height; expanded: room to grow."""
        vertical = (
            QSizePolicy.Policy.Expanding if expanded else QSizePolicy.Policy.Maximum
        )
        self.setSizePolicy(QSizePolicy.Policy.Preferred, vertical)

    @Slot(int)
    def _on_freeze_combo_activated(self, index: int) -> None:
        mode = self.freeze_combo.itemData(index)
        changes: dict = {"freeze": mode}
        if mode == "from_layer" and self.from_combo.currentText():
            changes["unfreeze_from"] = self.from_combo.currentText()
        if mode == "last_n":
            changes["last_n"] = self.last_n_spin.value()
        self.freeze_edited.emit(changes)

    @Slot(int)
    def _on_from_combo_activated(self, index: int) -> None:
        self.freeze_edited.emit(
            {"freeze": "from_layer", "unfreeze_from": self.from_combo.itemText(index)}
        )

    @Slot(int)
    def _on_last_n_spin_value_changed(self, value: int) -> None:
        self.freeze_edited.emit({"freeze": "last_n", "last_n": value})

    @Slot(object)
    def _on_tree_context_menu(self, pos) -> None:
        item = self.tree.itemAt(pos)
        if item is None:
            return
        name = item.data(0, Qt.ItemDataRole.UserRole)
        menu = QMenu(self)
        action = menu.addAction(f"Unfreeze from {name}")
        chosen = menu.exec(self.tree.viewport().mapToGlobal(pos))
        if chosen is action:
            self.unfreeze_from(name)

    def unfreeze_from(self, name: str) -> None:
        """Ask to train ``name`` and every backbone layer after it."""
        self.freeze_edited.emit({"freeze": "from_layer", "unfreeze_from": name})
