"""The exclusion list on the Data page: its count, and a dialog to review and clear it.

The list is the project dataset's (``core.data.exclusions``): images left out
or given another label, the files untouched. Every change here is one
undoable step (``SetSetting`` of the dataset), so Edit > Undo brings removed
entries back; the count and the dialog follow the document's events, so an
undo, a redo or an action elsewhere (the data-quality report, the evaluation
view) shows at once.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.data.exclusions import Exclusions
from core.data.spec import DatasetSpec
from core.document import ProjectDocument
from desktop.document_links import connect_while_alive
from desktop.undo_commands import SetSetting

_steps = itertools.count()  # each change its own undo step: never merged


def set_exclusions(
    document: ProjectDocument, undo_stack: QUndoStack, new: Exclusions, text: str
) -> None:
    """Make ``new`` the project's list as one undoable step (nothing if unchanged)."""
    spec = document.dataset
    if spec is None or spec.exclusions == new:
        return
    step = f"exclusions {next(_steps)}"
    undo_stack.push(
        SetSetting(document, "dataset", replace(spec, exclusions=new), step, text)
    )


class ExclusionsBar(QWidget):
    """``Exclusion list: 3 excluded, 1 relabelled`` and a Review button."""

    def __init__(
        self,
        document: ProjectDocument,
        undo_stack: QUndoStack,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.document, self.undo_stack = document, undo_stack
        self.label = QLabel()
        self.label.setObjectName("exclusionCount")
        self.review_button = QPushButton("Review…")
        self.review_button.setToolTip(
            "See the images the project leaves out or labels otherwise; "
            "remove entries or clear the list (Edit > Undo takes it back)"
        )
        self.dialog: ExclusionsDialog | None = None
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.review_button)
        layout.addStretch(1)
        self.review_button.clicked.connect(self.review)
        connect_while_alive(self, [(document.events.dataset, self._on_dataset)])
        self._on_dataset(document.dataset)

    def review(self) -> ExclusionsDialog:
        """Open (or raise) the review dialog; returned for tests."""
        if self.dialog is None:
            self.dialog = ExclusionsDialog(self.document, self.undo_stack, self)
        self.dialog.show()
        self.dialog.raise_()
        return self.dialog

    @Slot(object)
    def _on_dataset(self, spec: DatasetSpec | None) -> None:
        exclusions = spec.exclusions if spec is not None else Exclusions()
        self.setVisible(spec is not None)
        self.label.setText(
            f"Exclusion list: {exclusions.summary()}"
            if exclusions
            else "Exclusion list: empty (the report and the confusion matrix add to it)"
        )
        self.review_button.setEnabled(bool(exclusions))


class ExclusionsDialog(QDialog):
    """The list's entries (file, action) with Remove and Clear, each undoable."""

    changed = Signal()  # the table shows the document's list again

    def __init__(
        self,
        document: ProjectDocument,
        undo_stack: QUndoStack,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Exclusion list")
        self.document, self.undo_stack = document, undo_stack
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["file", "action"])
        self.table.horizontalHeader().setSectionResizeMode(
            0, QHeaderView.ResizeMode.Stretch
        )
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        note = QLabel(
            "Your files are not touched: these images are left out of training, "
            "validation and test, or given another label, wherever this project's "
            "data is read. An image changed since it was listed is kept as given "
            "(the Data page warns)."
        )
        note.setWordWrap(True)
        self.remove_button = QPushButton("Remove selected")
        self.clear_button = QPushButton("Clear list")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.remove_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.clear_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        self.resize(560, 380)
        self.remove_button.clicked.connect(self._on_remove_clicked)
        self.clear_button.clicked.connect(self._on_clear_clicked)
        self.table.itemSelectionChanged.connect(self._refresh_buttons)
        connect_while_alive(self, [(document.events.dataset, self._on_dataset)])
        self._on_dataset(document.dataset)

    def _exclusions(self) -> Exclusions:
        spec = self.document.dataset
        return spec.exclusions if spec is not None else Exclusions()

    @Slot(object)
    def _on_dataset(self, spec: DatasetSpec | None) -> None:
        entries = self._exclusions().entries
        self.table.setRowCount(len(entries))
        for row, entry in enumerate(entries):
            action = "excluded" if entry.label is None else f"labelled {entry.label}"
            for column, text in enumerate((entry.path, action)):
                item = QTableWidgetItem(text)
                item.setToolTip(f"{entry.path}\ncontent digest {entry.digest}")
                self.table.setItem(row, column, item)
        self._refresh_buttons()
        self.changed.emit()

    @Slot()
    def _refresh_buttons(self) -> None:
        self.clear_button.setEnabled(bool(self._exclusions()))
        self.remove_button.setEnabled(bool(self.table.selectionModel().selectedRows()))

    @Slot()
    def _on_remove_clicked(self) -> None:
        rows = {i.row() for i in self.table.selectionModel().selectedRows()}
        entries = self._exclusions().entries
        paths = [entries[r].path for r in sorted(rows) if r < len(entries)]
        if not paths:
            return
        set_exclusions(
            self.document,
            self.undo_stack,
            self._exclusions().without(paths),
            f"Remove {len(paths)} from the exclusion list",
        )

    @Slot()
    def _on_clear_clicked(self) -> None:
        set_exclusions(
            self.document, self.undo_stack, Exclusions(), "Clear the exclusion list"
        )
