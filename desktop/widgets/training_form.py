"""TrainingForm: the training settings of the open project, generated from metadata.

A view of ``document.training``: it redraws on the document's ``training``
event and writes a user's edit as an undoable ``SetSetting``. Phase 2 follows
the model: on with a backbone, its layer names offered for "From layer".
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, cast

from PySide6.QtCore import QStringListModel, Qt, Slot
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QCompleter, QWidget

from core.backbone_table import cached_table_for
from core.document import ProjectDocument
from core.training.config import PHASE_TWO, TrainingConfig
from desktop.document_links import connect_while_alive
from desktop.undo_commands import SetSetting
from desktop.widgets.field_editors import TextEditor
from desktop.widgets.settings_form import SettingsForm

NO_BACKBONE = (
    "Phase 2 fine-tunes a backbone: add one from the palette's Backbones on the "
    "Model page (e.g. the vgg16-cifar10-transfer preset)"
)


class TrainingForm(SettingsForm):
    """Every TrainingConfig field, editing the document through the undo stack."""

    def __init__(
        self,
        document: ProjectDocument,
        undo_stack: QUndoStack,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(TrainingConfig, parent)
        self._document = document
        self._undo_stack = undo_stack
        self.phase_two = self.groups[PHASE_TWO]
        # One completer whose list follows the backbone (refresh_backbone).
        self.layer_names = QStringListModel(self)
        from_layer = cast(TextEditor, self.editors["fine_tune_from"])
        completer = QCompleter(self.layer_names, from_layer.line)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        from_layer.line.setCompleter(completer)
        self.edited.connect(self._on_edited)
        events = document.events
        connect_while_alive(
            self,
            [
                (events.training, self._on_document_training),
                (events.model, self.refresh_backbone),
            ],
        )
        self.show_config(document.training)
        self.refresh_backbone()

    def refresh_backbone(self) -> None:
        """Phase 2 needs a backbone; without one the group is off and says why."""
        spec = self._document.spec
        has_backbone = spec.backbone is not None
        self.phase_two.setEnabled(has_backbone)
        field = next(f for f in self.fields if f.name == "fine_tune")
        self.phase_two.setToolTip(field.help if has_backbone else NO_BACKBONE)
        table = cached_table_for(spec)
        names = [row.name for row in table.rows] if table else []
        if self.layer_names.stringList() != names:
            self.layer_names.setStringList(names)

    @Slot(str, object)
    def _on_edited(self, name: str, value: Any) -> None:
        # One merge key per setting: spinning one box is one undo step, but a
        # change of another setting is a step of its own.
        new = replace(self._document.training, **{name: value})
        label = next(f.label for f in self.fields if f.name == name)
        self._undo_stack.push(
            SetSetting(self._document, "training", new, name, f"Change {label}")
        )

    def _on_document_training(self, config: TrainingConfig) -> None:
        self.show_config(config)
