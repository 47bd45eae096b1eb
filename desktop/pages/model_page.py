"""ModelPage: build a CNN by stacking layers, and see what each one computes.

Palette on the left, the stack with its totals and input/head settings in the
centre, the selected layer's options and the arithmetic behind its numbers on
the right. The page turns user intent into undo commands on the shared
QUndoStack; every widget is refreshed from the project document afterwards.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtGui import QAction, QKeySequence, QUndoCommand, QUndoStack
from PySide6.QtWidgets import (
    QLabel,
    QMenu,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from core.backbone_table import backbone_table
from core.document import ProjectDocument
from core.presets import all_presets
from core.spec import HeadSpec, InputSpec
from core.summary import unmeasured_backbone
from desktop.undo_commands import EditLayer, SetHead, SetInput, SetSpec
from desktop.widgets.backbone_block import BackboneBlock
from desktop.widgets.layer_details import LayerDetails
from desktop.widgets.layer_palette import LayerPalette
from desktop.widgets.layer_params_form import LayerParamsForm
from desktop.widgets.layer_stack_editor import LayerStackEditor
from desktop.widgets.layer_stack_model import LayerStackModel, Role
from desktop.widgets.model_io_editor import ModelIoEditor
from desktop.widgets.totals_bar import TotalsBar
from desktop.workers import FunctionWorker


def _titled(title: str, widget: QWidget) -> QWidget:
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(6, 6, 6, 6)
    layout.addWidget(QLabel(f"<b>{title}</b>"))
    layout.addWidget(widget, 1)
    return box


class ModelPage(QWidget):
    """The layer-stack editor page; pushes every edit on ``undo_stack``."""

    def __init__(
        self,
        document: ProjectDocument,
        undo_stack: QUndoStack,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.document = document
        self.undo_stack = undo_stack
        self.model = LayerStackModel(document, undo_stack, self)
        self.layer_palette = LayerPalette()
        self.editor = LayerStackEditor(self.model, undo_stack)
        self.totals = TotalsBar()
        self.io_editor = ModelIoEditor()
        self.form = LayerParamsForm()
        self.details = LayerDetails()
        self.block = BackboneBlock()
        self._measure_worker: FunctionWorker | None = None
        self._measuring: tuple[str, int, int] | None = None

        self.insert_action = QAction("Add selected layer kind", self)
        self.insert_action.setShortcut(QKeySequence(Qt.Key.Key_Insert))
        self.insert_action.setShortcutContext(
            Qt.ShortcutContext.WidgetWithChildrenShortcut
        )
        self.insert_action.setToolTip(
            "Add the layer kind selected in the palette below the selected layer "
            "(Insert)"
        )
        self.insert_action.triggered.connect(self._on_insert_action_triggered)
        self.addAction(self.insert_action)

        self._build_layout()
        self.layer_palette.kind_activated.connect(self._on_palette_kind_activated)
        self.editor.current_row_changed.connect(self._on_editor_current_row_changed)
        self.model.stack_changed.connect(self._on_model_stack_changed)
        self.form.option_edited.connect(self._on_form_option_edited)
        self.form.name_edited.connect(self._on_form_name_edited)
        self.io_editor.input_edited.connect(self._on_io_editor_input_edited)
        self.io_editor.head_edited.connect(self._on_io_editor_head_edited)
        self.block.freeze_edited.connect(self._on_block_freeze_edited)
        self.block.expanded_changed.connect(self._on_block_expanded_changed)
        self._on_model_stack_changed()

    def _build_layout(self) -> None:
        centre = QWidget()
        centre_layout = QVBoxLayout(centre)
        centre_layout.setContentsMargins(6, 6, 6, 6)
        centre_layout.addWidget(self.editor, 2)
        # Collapsed, the block keeps its header's height; expanded, it shares
        # the room with the list (see _on_block_expanded_changed).
        centre_layout.addWidget(self.block, 0)
        centre_layout.addWidget(self.totals)
        centre_layout.addWidget(self.io_editor)

        form_scroll = QScrollArea()
        form_scroll.setWidgetResizable(True)
        form_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        form_scroll.setWidget(self.form)
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(_titled("Options", form_scroll))
        right.addWidget(_titled("How the numbers are computed", self.details))
        right.setSizes([300, 420])
        self._right, self._form_scroll = right, form_scroll
        # The option form and the formulas need room to read without scrolling.
        right.setMinimumWidth(340)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(_titled("Layer palette", self.layer_palette))
        splitter.addWidget(centre)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([215, 640, 340])
        splitter.setChildrenCollapsible(False)
        self.splitter = splitter
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)
        self._centre_layout = centre_layout

    # ------------------------------------------------------------ public API
    def load_preset(self, name: str) -> None:
        """Replace the model with a bundled preset, as one undoable step."""
        spec = all_presets()[name].spec
        self.undo_stack.push(SetSpec(self.document, spec, f"Load preset {name}"))

    def presets_menu(self, parent: QWidget | None = None) -> QMenu:
        """A menu with one action per bundled preset, each calling load_preset."""
        menu = QMenu("&Presets", parent)
        for name, preset in all_presets().items():
            action = menu.addAction(f"{preset.title}  ({name})")
            action.setToolTip(preset.description)
            action.setData(name)
            action.triggered.connect(self._on_preset_action_triggered)
        menu.setToolTipsVisible(True)
        return menu

    def actions_for_menu(self) -> list[QAction]:
        """Layer actions (with shortcuts) a window may also list in a menu."""
        return [*self.editor.layer_actions(), self.insert_action]

    # ----------------------------------------------------------------- slots
    def _push(self, command: QUndoCommand) -> None:
        self.undo_stack.push(command)

    @Slot()
    def _on_preset_action_triggered(self) -> None:
        action = self.sender()
        if isinstance(action, QAction):
            self.load_preset(str(action.data()))

    @Slot(str)
    def _on_palette_kind_activated(self, class_name: str) -> None:
        self.editor.insert_kind(class_name)

    @Slot()
    def _on_insert_action_triggered(self) -> None:
        kind = self.layer_palette.current_kind()
        if kind:
            self.editor.insert_kind(kind)

    @Slot(int)
    def _on_editor_current_row_changed(self, row: int) -> None:
        self._show_row(row)

    @Slot()
    def _on_model_stack_changed(self) -> None:
        summary = self.document.summary
        self.totals.set_summary(summary)
        self.io_editor.set_spec(self.document.spec)
        backbone = self.document.spec.backbone
        self.block.set_block(backbone, summary.layers[0] if backbone else None)
        self._measure_if_needed()
        self._show_row(self.editor.current_row())

    # ------------------------------------------------- backbone measurement
    def needed_table(self) -> tuple[str, int, int] | None:
        """The backbone table the current spec needs and the cache lacks."""
        return unmeasured_backbone(self.document.spec)

    def is_measuring(self) -> bool:
        return self._measure_worker is not None

    def _measure_if_needed(self) -> None:
        """Build a missing backbone table on a worker (TensorFlow's first import)."""
        if self._measure_worker is not None:
            return  # it measures again when done, if still needed
        needed = self.needed_table()
        if needed is None:
            self.block.set_busy("")
            return
        arch, h, w = needed
        self._measuring = needed
        self.block.set_busy(
            f"Measuring {arch}'s layers at {h}x{w} (built once with Keras, then "
            "cached; the first time loads TensorFlow)…"
        )
        worker = FunctionWorker(lambda progress, cancel: backbone_table(arch, h, w))
        worker.finished.connect(self._on_measure_worker_done)
        worker.failed.connect(self._on_measure_worker_failed)
        self._measure_worker = worker
        worker.start()

    @Slot(object)
    def _on_measure_worker_done(self, _table: object) -> None:
        self._measure_worker = None
        self._measuring = None
        self.block.set_busy("")
        self.document.remeasure()  # re-summarise with the table; may measure again

    @Slot(str, str)
    def _on_measure_worker_failed(self, message: str, _traceback: str) -> None:
        self._measure_worker = None
        what = self._measuring
        self._measuring = None
        name = f"{what[0]} at {what[1]}x{what[2]}" if what else "the backbone"
        self.block.set_busy(f"Could not measure {name}: {message}")

    @Slot(bool)
    def _on_block_expanded_changed(self, expanded: bool) -> None:
        self._centre_layout.setStretchFactor(self.block, 1 if expanded else 0)

    @Slot(dict)
    def _on_block_freeze_edited(self, changes: dict) -> None:
        backbone = self.document.spec.backbone
        if backbone is None:
            return
        try:
            new_layer = backbone.with_options(**changes)
        except ValueError as exc:
            self.block.set_busy(str(exc))
            return
        if new_layer != backbone:
            self._push(EditLayer(self.document, 0, new_layer, None, "Change freezing"))

    def _show_row(self, row: int) -> None:
        if not 0 <= row < self.model.rowCount():
            self.form.set_layer(None)
            self.details.show_layer(None, None)
            return
        index = self.model.index(row)
        locked = bool(index.data(Role.LOCKED))
        layer, report = index.data(Role.LAYER), index.data(Role.REPORT)
        self.form.set_layer(layer, locked)
        self.details.show_layer(layer, report, locked)
        # After the form's new rows are shown (Qt shows them from the event loop).
        QTimer.singleShot(0, self._fit_options)

    def _fit_options(self) -> None:
        """The Options pane as tall as the shown form (a backbone's was cut off
        above a half-empty formulas pane); the formulas keep at least 150 px."""
        total = sum(self._right.sizes())
        if total <= 0:
            return  # not laid out yet
        width = self._form_scroll.viewport().width()
        form = self.form
        need = form.heightForWidth(width) if form.hasHeightForWidth() else -1
        need = max(need, form.sizeHint().height())
        title = self._right.widget(0).height() - self._form_scroll.height()
        options = min(need + title + 2, total - 150)
        self._right.setSizes([options, total - options])

    @Slot(str, object)
    def _on_form_option_edited(self, option: str, value: Any) -> None:
        row = self.editor.current_layer_row()
        if row < 0:
            return
        try:
            if row == 0 and self.document.spec.backbone is not None:
                # A new architecture may also rename the backbone (core rule).
                spec = self.document.spec.with_backbone_options(**{option: value})
                new_layer = spec.layers[0]
            else:
                new_layer = self.document.layers[row].with_options(**{option: value})
        except ValueError as exc:
            self.form.show_problem(str(exc))
            return
        if new_layer != self.document.layers[row]:
            self._push(EditLayer(self.document, row, new_layer, option))

    @Slot(str)
    def _on_form_name_edited(self, name: str) -> None:
        row = self.editor.current_layer_row()
        if row < 0:
            return
        if any(x.name == name for x in self.document.layers):
            self.form.set_layer(self.document.layers[row])
            self.form.show_problem(f"a layer named {name!r} is already in the stack")
            return
        self._push(
            EditLayer(self.document, row, self.document.layers[row].renamed(name))
        )

    @Slot(object)
    def _on_io_editor_input_edited(self, input_spec: InputSpec) -> None:
        if input_spec != self.document.input:
            self._push(SetInput(self.document, input_spec))

    @Slot(object)
    def _on_io_editor_head_edited(self, head_spec: HeadSpec) -> None:
        if head_spec != self.document.head:
            self._push(SetHead(self.document, head_spec))
