"""Without the optional tensorboard package the Training page's setting says so."""

from __future__ import annotations

import sys

import pytest

from core.tensorboard_logs import INSTALL_COMMAND
from core.training.config import TrainingConfig
from tests.desktop.test_training_page import page, shapes  # noqa: F401 (fixtures)


@pytest.fixture(autouse=True)
def _no_tensorboard(monkeypatch):
    """The tensorboard import fails, before the page is built (autouse: first)."""
    monkeypatch.setitem(sys.modules, "tensorboard", None)


def test_the_setting_is_off_and_disabled_and_says_how_to_install(page):  # noqa: F811
    page.apply_config(TrainingConfig())
    assert not page.tensorboard.isChecked()
    assert not page.tensorboard.isEnabled()
    assert INSTALL_COMMAND in page.tensorboard.toolTip()


def test_a_project_that_asked_for_it_is_refused_until_it_is_turned_off(
    qtbot,
    page,  # noqa: F811
):
    page.apply_config(TrainingConfig(tensorboard=True))
    page.show()
    qtbot.waitExposed(page)
    assert page.tensorboard.isEnabled()  # so it can be turned off
    assert "TensorBoard logs need the tensorboard package" in page.status.text()
    page.tensorboard.click()
    assert not page.config.tensorboard
    assert not page.tensorboard.isEnabled()
    qtbot.waitUntil(lambda: page.status.text().startswith("Ready"))
