"""``python -m core lr-find``: the suggestion, the curve as JSON and CSV, the
project untouched, one-line errors and Ctrl+C."""

from __future__ import annotations

import csv
import json
import signal

from core.cli import main
from core.runs import RunStore
from core.training.lr_finder_result import load_result
from tests.tiny_model import saved_tiny_project


def test_lr_find_prints_the_curve_and_leaves_the_project_as_it_was(tmp_path, capsys):
    project = saved_tiny_project(tmp_path, "tiny")
    before = project.read_bytes()
    curve = tmp_path / "curve.csv"
    assert main(["lr-find", str(project), "--json", "--csv", str(curve)]) == 0
    printed = json.loads(capsys.readouterr().out)
    rows = list(csv.DictReader(curve.open(encoding="utf-8")))
    assert len(rows) == len(printed["learning_rates"]) > 10
    assert list(rows[0]) == ["learning_rate", "loss", "smoothed"]
    assert float(rows[0]["learning_rate"]) == printed["learning_rates"][0]
    assert 1e-6 <= printed["suggestion"] <= 1.0
    # The project and its runs are as they were; the result is kept beside them.
    assert project.read_bytes() == before
    store = RunStore.beside(project)
    assert store.list() == []
    assert load_result(store.root).suggestion == printed["suggestion"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_lr_find_of_a_missing_project_is_one_error_line(tmp_path, capsys):
    assert main(["lr-find", str(tmp_path / "none.cnnwb.json")]) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1
    assert err[0].startswith("error: ")


def test_ctrl_c_stops_the_test_with_130_and_keeps_nothing(
    tmp_path, capsys, monkeypatch
):
    from core.commands import lr_find

    project = saved_tiny_project(tmp_path, "tiny")
    shown = lr_find._Progress.on_batch_end

    def interrupted(self, epoch, batch, logs):
        shown(self, epoch, batch, logs)
        if batch == 2:
            signal.raise_signal(signal.SIGINT)  # as Ctrl+C on the terminal

    monkeypatch.setattr(lr_find._Progress, "on_batch_end", interrupted)
    assert main(["lr-find", str(project)]) == 130
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "stopped after 3 batches" in captured.err
    assert load_result(RunStore.beside(project).root) is None
