"""Start the real app on PROJECT, train one run from its Training page, close it.

Run as a script by ``test_app_exit.py`` (and imported by the hook of
``test_newcomer_quit.py``): the process then leaves through
``desktop.app.main``, as a user's does, so its exit status and stderr show
whether shutdown after a training run is clean.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from desktop import app
from desktop.main_window import MainWindow


def drive() -> None:
    """Show the Data page until its data is loaded, then Start; close when done."""
    window = next(
        (w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)), None
    )
    if window is None or window.data_page is None:
        QTimer.singleShot(100, drive)
        return
    if window.data_page.dataset() is None:
        window.navigation.setCurrentRow(1)  # the Data page loads when shown
        QTimer.singleShot(100, drive)
        return
    page = window.training_page
    page.finished.connect(lambda _session: print("trained", flush=True))
    page.failed.connect(lambda message: print("failed:", message, flush=True))
    page.finished.connect(lambda _session: QTimer.singleShot(0, window.close))
    page.failed.connect(lambda _message: QTimer.singleShot(0, window.close))
    page.controls.start_button.click()


if __name__ == "__main__":
    discard = QMessageBox.StandardButton.Discard
    MainWindow._ask_save_changes = lambda self: discard  # no prompt at close
    app.create_app([sys.argv[0]])
    QTimer.singleShot(0, drive)
    sys.exit(app.main(sys.argv[1:]))
