"""Run folders: create, finish, list, compare, export, delete."""

from __future__ import annotations

import csv

import pytest

from core.errors import WorkbenchError
from core.runs import RunStore


def test_run_lifecycle(tmp_path):
    store = RunStore.beside(tmp_path / "digits.cnnwb.json")
    assert store.root == tmp_path / "digits.runs"
    assert store.list() == []
    first = store.create("mnist convnet", {"training": {"epochs": 3}})
    second = store.create("mnist convnet", {"training": {"epochs": 2}})
    assert first.name != second.name
    assert first.config()["training"] == {"epochs": 3}
    assert first.summary_row()["stop_reason"] == "unfinished"
    store.finish(
        first,
        {
            "epochs_run": 3,
            "stop_reason": "early stopping",
            "best_epoch": 1,
            "history": {"val_accuracy": [0.5, 0.9, 0.8], "val_loss": [1.0, 0.3, 0.4]},
        },
        {"accuracy": 0.88},
    )
    (first.path / "best.keras").write_bytes(b"a model")  # none: no test figures
    row = store.compare([first])[0]
    assert row["epochs_run"] == 3
    assert row["best_epoch"] == 2  # shown 1-based
    assert (row["val_accuracy"], row["val_loss"], row["test_accuracy"]) == (
        0.9,
        0.3,
        0.88,
    )
    out = store.export_csv(tmp_path / "runs.csv")
    with open(out, newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["run"] for r in rows] == [first.name, second.name]
    store.delete(second)
    assert [r.name for r in store.list()] == [first.name]
    with pytest.raises(WorkbenchError, match="is not a run"):
        RunStore(tmp_path / "other").delete(first)


def test_a_killed_run_has_its_history_from_the_csv_log(tmp_path):
    store = RunStore(tmp_path / "runs")
    run = store.create("killed", {"training": {"epochs": 5}})
    (run.path / "history.csv").write_text(
        "epoch,accuracy,loss,val_accuracy,val_loss\n"
        "0,0.5,1.0,0.4,1.1\n"
        "1,0.6,0.8,0.5,0.9\n"
    )
    assert run.record() == {}  # it never finished
    assert run.history() == {
        "accuracy": [0.5, 0.6],
        "loss": [1.0, 0.8],
        "val_accuracy": [0.4, 0.5],
        "val_loss": [1.1, 0.9],
    }
    row = store.compare()[0]
    assert (row["stop_reason"], row["epochs_run"]) == ("unfinished", 2)
    (run.path / "history.csv").write_text("epoch,loss\n0,oops\n")
    with pytest.raises(WorkbenchError, match="damaged"):
        run.history()


def test_a_runs_model_file_is_its_best_else_its_last(tmp_path):
    store = RunStore(tmp_path / "runs")
    run = store.create("r", {"dataset": {"classes": ["cat", "dog"]}})
    assert run.model_file() is None
    (run.path / "last.keras").write_bytes(b"last")
    assert run.model_file() == run.path / "last.keras"
    (run.path / "best.keras").write_bytes(b"best")
    assert run.model_file() == run.path / "best.keras"
    assert run.class_names() == ["cat", "dog"]
    assert store.create("bare", {}).class_names() == []


def test_the_newest_run_that_kept_a_model_is_the_one_exported(tmp_path):
    store = RunStore(tmp_path / "runs")
    assert store.newest_model() is None
    kept = store.create("a", {"dataset": {"classes": ["cat", "dog"]}})
    (kept.path / "last.keras").write_bytes(b"")
    (kept.path / "best.keras").write_bytes(b"")
    store.create("b", {"dataset": {"classes": ["cat", "dog"]}})  # stopped early
    assert store.newest_model() == (kept.path / "best.keras", ["cat", "dog"])
    nameless = store.create("c", {})
    (nameless.path / "last.keras").write_bytes(b"")
    with pytest.raises(WorkbenchError, match="does not record its classes"):
        store.newest_model()  # refused, not passed over for an older model
