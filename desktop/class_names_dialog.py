"""ClassNamesDialog: name the classes of a model that came without names.

A model made elsewhere often carries no class names (none inside the `.keras`
file, no ``NAME.keras.json`` beside it). The dialog asks for them, one per line
or comma-separated, prefilled with ``class_0``, ``class_1``, ... and accepts
only as many distinct names as the model has classes. It is opened with
``open()`` (window-modal, non-blocking), so nothing waits in a nested loop.
"""

from __future__ import annotations

from PySide6.QtCore import Slot
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from desktop import colours


def parse_class_names(text: str) -> list[str]:
    """Names one per line, or comma-separated on one line; blanks dropped."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) == 1 and "," in lines[0]:
        lines = [part.strip() for part in lines[0].split(",") if part.strip()]
    return lines


class ClassNamesDialog(QDialog):
    """Asks for exactly ``len(defaults)`` distinct class names."""

    def __init__(
        self, defaults: list[str], source: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("classNamesDialog")
        self.setWindowTitle("Name the classes")
        self.count = len(defaults)
        intro = QLabel(
            f"<b>{source}</b> carries no class names. It tells {self.count} classes "
            "apart, in this order: give one name per line, or all on one line "
            "separated by commas."
        )
        intro.setWordWrap(True)
        self.editor = QPlainTextEdit("\n".join(defaults))
        self.check = QLabel()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.editor, 1)
        layout.addWidget(self.check)
        layout.addWidget(self.buttons)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.editor.textChanged.connect(self._validate)
        self._validate()
        self.resize(380, 320)

    def names(self) -> list[str]:
        return parse_class_names(self.editor.toPlainText())

    def set_text(self, text: str) -> None:
        self.editor.setPlainText(text)

    def problem(self) -> str:
        """Why the names cannot be used yet; empty when they can."""
        names = self.names()
        if len(names) != self.count:
            return f"{self.count} names needed, {len(names)} given"
        if len(set(names)) != len(names):
            return "each name must be different"
        return ""

    def accept(self) -> None:
        if not self.problem():
            super().accept()

    @Slot()
    def _validate(self) -> None:
        problem = self.problem()
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(not problem)
        self.check.setText(
            colours.span(problem, "error") if problem else f"{self.count} names"
        )
