""" "Use local files…" offers the folder or the archive plainly.

The folder was reached only by pressing Cancel on an archive dialog. The
button is pressed as a user presses it, and the file dialogs answer as the
user would.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QFileDialog

from desktop import workers


class Dialogs:
    """The file dialogs shown, in order; the folder dialog answers ``folder``,
    the archive dialog is cancelled."""

    def __init__(self) -> None:
        self.shown: list[str] = []
        self.folder = ""

    def open_file(self, *args, **kwargs) -> tuple[str, str]:
        self.shown.append("archive")
        return "", ""

    def open_folder(self, *args, **kwargs) -> str:
        self.shown.append("folder")
        return self.folder


@pytest.fixture
def dialogs(monkeypatch) -> Dialogs:
    d = Dialogs()
    monkeypatch.setattr(QFileDialog, "getOpenFileName", d.open_file)
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", d.open_folder)
    return d


def press_local_files(qtbot, window, choice: str) -> list[str]:
    """Press "Use local files…" and pick the entry starting with ``choice``
    from the menu it shows; the entries it offered, by their text."""
    offered: list[str] = []
    looked: list[bool] = []

    def pick() -> None:
        looked.append(True)
        menu = QApplication.activePopupWidget()
        if menu is None:  # no menu: the button went straight to a dialog
            return
        actions = [a for a in menu.actions() if a.isVisible()]
        offered.extend(a.text() for a in actions)
        action = next(a for a in actions if a.text().startswith(choice))
        menu.setActiveAction(action)
        qtbot.keyClick(menu, Qt.Key.Key_Return)

    QTimer.singleShot(0, pick)
    box = window.ensure_data_page().source_box
    qtbot.mouseClick(box.local_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(looked))
    return offered


def test_cifar10_offers_its_folder_and_its_archive(
    qtbot, window, dialogs, shared_datasets
):
    page = window.ensure_data_page()
    page.source.setCurrentText("cifar10")
    folder = shared_datasets / "cifar-10-jpg-small"
    dialogs.folder = str(folder)
    with qtbot.waitSignal(page.dataset_loaded, timeout=120_000) as loaded:
        offered = press_local_files(qtbot, window, "Folder")
    assert dialogs.shown == ["folder"]  # no archive dialog to cancel first
    assert offered == [
        "Folder of class folders…",
        "Archive (cifar-10-jpg.tar.gz)…",
    ]
    dataset = loaded.args[0]
    assert dataset.num_classes == 10
    assert window.document.dataset.path == str(folder)

    dialogs.shown.clear()
    press_local_files(qtbot, window, "Archive")
    assert dialogs.shown == ["archive"]  # cancelled: no folder dialog after it
    # The new data's augmentation preview loads TensorFlow: let it end.
    qtbot.waitUntil(lambda: not workers.running_threads(), timeout=120_000)


def test_mnist_offers_a_folder_only(qtbot, window, dialogs):
    page = window.ensure_data_page()
    page.source.setCurrentText("mnist")
    assert press_local_files(qtbot, window, "Folder") == ["Folder of IDX .gz files…"]
    assert dialogs.shown == ["folder"]  # cancelled: nothing loads
