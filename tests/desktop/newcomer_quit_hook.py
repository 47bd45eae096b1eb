"""Drives ``python main.py`` from inside for ``test_newcomer_quit``.

A ``sitecustomize.py`` the test writes imports this before ``main.py`` runs,
so the app starts exactly as a user starts it. Once the window's session has
started, ``train_then_quit.drive`` trains one run from the Training page and
closes the window, as File > Quit does; nothing asks about saving.
"""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QMessageBox

from desktop.main_window import MainWindow
from tests.desktop.train_then_quit import drive

_start_session = MainWindow.start_session


def _start_and_drive(self: MainWindow, project: str | None) -> None:
    _start_session(self, project)
    QTimer.singleShot(0, drive)


MainWindow.start_session = _start_and_drive
MainWindow._ask_save_changes = lambda self: QMessageBox.StandardButton.Discard
