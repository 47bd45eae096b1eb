"""``python -m core sweep``: the list, one error line per mistake, a missing
package, a sweep and its continuation, Ctrl+C."""

from __future__ import annotations

import json
import signal

import pytest

from core.cli import main
from core.runs import RunStore
from core.sweeps import requirements
from tests.tiny_model import saved_tiny_project

RATES = {"training.learning_rate": {"values": [0.001, 0.01]}}


def _sweep_file(folder, data) -> str:
    path = folder / "SWEEP.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def test_list_names_what_the_project_can_vary(tmp_path, capsys):
    project = saved_tiny_project(tmp_path, "tiny")
    assert main(["sweep", str(project), "--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "training.learning_rate\tfloat 1e-06..1\tnow 0.001" in lines
    assert "layers.conv2d_1.filters\tint 1..\tnow 4" in lines
    assert any(
        line.startswith("training.optimizer\tone of adam, sgd") for line in lines
    )
    assert not any(line.startswith("training.checkpoint_monitor") for line in lines)


def test_each_mistake_is_its_own_error_line(tmp_path, capsys):
    project = saved_tiny_project(tmp_path, "tiny")
    sweep = _sweep_file(
        tmp_path,
        {"trials": 2, "vary": {"training.learning_rate": {"min": 0}, "nope": {}}},
    )
    assert main(["sweep", str(project), sweep]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f"error: {sweep}: vary.training.learning_rate.min: must be from 1e-06 to "
        "at most 1, not 0",
        f"error: {sweep}: vary.training.learning_rate.max: missing (or give values "
        "instead)",
        f"error: {sweep}: vary.nope: not a setting this project can vary (python -m "
        "core sweep PROJECT --list names them)",
    ]
    assert not RunStore.beside(project).root.exists()


def test_without_keras_tuner_a_sweep_is_refused_with_the_install_line(
    tmp_path, capsys, monkeypatch
):
    monkeypatch.setattr(requirements, "installed", lambda module: False)
    project = saved_tiny_project(tmp_path, "tiny")
    sweep = _sweep_file(tmp_path, {"trials": 2, "vary": RATES})
    assert main(["sweep", str(project), sweep]) == 1
    [line] = capsys.readouterr().err.splitlines()
    assert line == (
        f"error: {sweep}: algorithm: Sweeps need the keras-tuner package: install "
        'it with pip install -e ".[sweeps]".'
    )


def test_a_sweep_without_its_file_is_a_usage_error(tmp_path, capsys):
    project = saved_tiny_project(tmp_path, "tiny")
    assert main(["sweep", str(project)]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("error: give the sweep's file (SWEEP.json), or --list")


def test_a_sweep_runs_and_the_same_command_finds_nothing_left(tmp_path, capsys):
    pytest.importorskip("keras_tuner")
    project = saved_tiny_project(tmp_path, "tiny")
    sweep = _sweep_file(tmp_path, {"name": "rates", "trials": 2, "vary": RATES})
    table = tmp_path / "trials.csv"
    argv = ["sweep", str(project), sweep, "--trials", "1", "--csv", str(table)]
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert captured.out.splitlines()[0].startswith("sweep rates: its trials are spent")
    assert "best: trial 1, val_accuracy " in captured.out
    assert "trial 1 of 1: training.learning_rate=" in captured.err
    assert len(table.read_text().splitlines()) == 2
    [run] = RunStore.beside(project).list()

    assert main(argv) == 0  # its budget is spent: nothing more runs
    assert "continuing after 1 trials" in capsys.readouterr().err
    assert RunStore.beside(project).list() == [run]


def test_ctrl_c_stops_the_sweep_with_130_and_says_how_to_go_on(
    tmp_path, capsys, monkeypatch
):
    pytest.importorskip("keras_tuner")
    from core.commands import sweep as command

    project = saved_tiny_project(tmp_path, "tiny")
    sweep = _sweep_file(tmp_path, {"name": "rates", "trials": 2, "vary": RATES})

    def interrupted(self, trial, progress):
        signal.raise_signal(signal.SIGINT)  # as Ctrl+C on the terminal

    monkeypatch.setattr(command._Progress, "on_trial_begin", interrupted)
    assert main(["sweep", str(project), sweep]) == 130
    err = capsys.readouterr().err
    assert "the same command continues the sweep where it stopped" in err
    assert "Traceback" not in err
