"""The runs comparison shows every figure to 4 decimals: a test accuracy of
79/240 filled the Runs tab's column with 0.329166...66666666 (#25, seen under
Xvfb)."""

from __future__ import annotations

from core.runs import RunStore


def test_the_test_accuracy_is_shown_to_four_decimals(tmp_path):
    store = RunStore(tmp_path / "p.runs")
    run = store.create("shapes", {"training": {}})
    history = {"val_accuracy": [0.5, 2 / 3], "val_loss": [1.0, 0.9]}
    store.finish(run, {"epochs_run": 2, "history": history}, {"accuracy": 79 / 240})
    (run.path / "best.keras").write_bytes(b"a model")  # whose figures they are
    row = store.compare([run])[0]
    assert row["test_accuracy"] == 0.3292
    assert row["val_accuracy"] == 0.6667
