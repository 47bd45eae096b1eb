"""The app refuses PySide6 6.12 on Python < 3.12 (it leaks True) with one message."""

from __future__ import annotations

import sys

import PySide6
import pytest
from PySide6.QtWidgets import QApplication, QMessageBox

from desktop import app as desktop_app


@pytest.mark.parametrize(
    ("pyside", "python", "refused"),
    [
        ("6.12.0", (3, 11), True),
        ("6.12.2", (3, 10), True),
        ("6.12.0", (3, 12), False),  # immortal True and None
        ("6.11.3", (3, 11), False),
        ("6.13.0", (3, 11), False),
        ("6.6.0", (3, 10), False),
    ],
)
def test_only_pyside_6_12_on_python_before_3_12_is_refused(pyside, python, refused):
    problem = desktop_app.known_bad_qt(pyside, python)
    assert (problem is not None) == refused
    if refused:
        assert f"PySide6 {pyside}" in problem
        assert "PySide6-Essentials>=6.6,<6.12" in problem  # how to fix it


def test_the_installed_versions_pass():
    assert desktop_app.known_bad_qt() is None


@pytest.fixture
def faked_6_12(monkeypatch, qapp):
    """This process looks like PySide6 6.12.0 on Python 3.11."""
    monkeypatch.setattr(PySide6, "__version__", "6.12.0")
    monkeypatch.setattr(sys, "version_info", (3, 11, 7, "final", 0))


def test_main_refuses_before_any_window_with_status_1(faked_6_12, capsys):
    before = set(QApplication.topLevelWidgets())
    code = desktop_app.main([])
    assert code == 1
    err = capsys.readouterr().err
    assert err.count("cannot run on PySide6 6.12.0 with Python 3.11") == 1
    assert "Traceback" not in err
    assert set(QApplication.topLevelWidgets()) == before  # no window was made


def test_a_screen_gets_the_message_in_a_dialog_too(faked_6_12, monkeypatch):
    shown = []
    monkeypatch.setattr(QApplication, "platformName", staticmethod(lambda: "xcb"))
    monkeypatch.setattr(
        QMessageBox, "critical", staticmethod(lambda *args: shown.append(args))
    )
    assert desktop_app.refuse_known_bad_qt()
    ((_parent, title, text),) = shown
    assert title == "CNN Workbench cannot start"
    assert "pip install" in text
