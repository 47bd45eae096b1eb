"""The one place unexpected errors reach the user: a message, never a traceback.

The traceback is still there, behind "Show details", and one click copies it
for a bug report; the same text is in the log file the dialog names.
"""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMessageBox, QWidget


def show_error(
    parent: QWidget | None,
    title: str,
    message: str,
    details: str = "",
    log_file: str | None = None,
) -> QMessageBox:
    """Show (non-blocking) an error box with optional details and "Copy details"."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Critical)
    box.setWindowTitle(title)
    box.setText(message)
    if log_file:
        box.setInformativeText(f"Details were written to {log_file}")
    if details:
        box.setDetailedText(details)
        copy = box.addButton("Copy details", QMessageBox.ButtonRole.ActionRole)
        copy.clicked.disconnect()  # keep the box open after copying
        copy.clicked.connect(
            lambda: QGuiApplication.clipboard().setText(f"{message}\n\n{details}")
        )
    box.addButton(QMessageBox.StandardButton.Close)
    box.setObjectName("errorDialog")
    box.open()
    return box
