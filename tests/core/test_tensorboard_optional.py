"""Without the optional tensorboard package, a run that asks for its logs is refused.

The package's absence is simulated by blocking its import (a None in
``sys.modules``), as a missing install would make it fail.
"""

from __future__ import annotations

import sys

import pytest

from core.cli import main
from core.tensorboard_logs import INSTALL_COMMAND, tensorboard_missing
from tests.core.training.test_train_cli import tiny_project


@pytest.fixture
def no_tensorboard(monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorboard", None)


def test_installed_here_it_is_not_missing():
    assert tensorboard_missing() is None


def test_missing_says_how_to_install_it(no_tensorboard):
    problem = tensorboard_missing()
    assert problem is not None
    assert INSTALL_COMMAND in problem
    assert INSTALL_COMMAND == 'pip install -e ".[tensorboard]"'


def test_headless_training_refuses_it_with_one_line_and_makes_no_run(
    no_tensorboard, tmp_path, capsys
):
    project = tiny_project(tmp_path, tensorboard=True)
    assert main(["train", str(project)]) == 1
    err = capsys.readouterr().err
    [line] = [x for x in err.splitlines() if x.startswith("error")]
    assert line.startswith("error: TensorBoard logs need the tensorboard package")
    assert INSTALL_COMMAND in line
    assert "Traceback" not in err
    assert sorted(tmp_path.iterdir()) == [project]  # no run folder made


def test_headless_training_without_it_needs_no_tensorboard(
    no_tensorboard, tmp_path, capsys
):
    project = tiny_project(tmp_path)  # tensorboard off, the default
    assert main(["train", str(project)]) == 0, capsys.readouterr().err
