"""Without the optional tensorboard package the Training page's setting says so."""

from __future__ import annotations

import sys
from dataclasses import replace

import pytest

from core.tensorboard_logs import INSTALL_COMMAND
from tests.desktop.test_training_page import (  # noqa: F401 (fixtures)
    editor,
    page,
    shapes,
)


@pytest.fixture(autouse=True)
def _no_tensorboard(monkeypatch):
    """The tensorboard import fails, before the page is built (autouse: first)."""
    monkeypatch.setitem(sys.modules, "tensorboard", None)


def test_the_setting_is_off_and_disabled_and_says_how_to_install(page):  # noqa: F811
    switch = editor(page, "tensorboard")
    assert not switch.isChecked()
    assert not switch.isEnabled()
    assert INSTALL_COMMAND in page.form.editors["tensorboard"].toolTip()


def test_a_project_that_asked_for_it_is_refused_until_it_is_turned_off(
    qtbot,
    page,  # noqa: F811
):
    document = page.document
    document.set_training(replace(document.training, tensorboard=True))
    page.show()
    qtbot.waitExposed(page)
    switch = editor(page, "tensorboard")
    assert switch.isEnabled()  # so it can be turned off
    status = page.controls.status
    assert "TensorBoard logs need the tensorboard package" in status.text()
    switch.click()
    assert not document.training.tensorboard
    assert not switch.isEnabled()
    qtbot.waitUntil(lambda: status.text().startswith("Ready"))
