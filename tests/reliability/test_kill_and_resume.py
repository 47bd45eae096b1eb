"""SIGKILL a headless training run mid-epoch, resume it: nothing recorded lies.

The run is a separate Python process running ``run_session`` with a run
folder, as a script would; it is killed once its history CSV shows two
epochs, then resumed from its folder alone through ``resume_session``.
"""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

EPOCHS = 5

SCRIPT = textwrap.dedent(
    """
    import sys, time
    from core.data.load import open_dataset
    from core.data.spec import DatasetSpec
    from core.runs import RunStore
    from tests.tiny_model import tiny_spec
    from core.training.config import TrainingConfig
    from core.training.events import NullListener
    from core.training.session import run_session

    class Slow(NullListener):
        def on_batch_end(self, epoch, batch, logs):
            time.sleep(0.05)  # so that most of the time is spent inside an epoch

    data_spec = DatasetSpec(name="shapes", count=200)
    run_session(
        tiny_spec(6, size=64),
        dataset=open_dataset(data_spec),
        cfg=TrainingConfig(
            epochs=EPOCHS, batch_size=8, checkpoint_monitor="val_loss"
        ),
        listener=Slow(),
        store=RunStore(sys.argv[1]),
        label="killed",
        data_spec=data_spec,
    )
    """
).replace("EPOCHS", str(EPOCHS))


def logged_epochs(run_dir: Path) -> list[int]:
    try:
        with open(run_dir / "history.csv", newline="") as f:
            return [int(row["epoch"]) for row in csv.DictReader(f)]
    except (FileNotFoundError, KeyError, ValueError):
        return []  # not written yet, or a row half-written at this instant


def kill_after_two_epochs(root: Path) -> tuple[Path, int]:
    """Start the training process, SIGKILL it mid-run; its folder, epochs logged."""
    run_dir = signal_when_logged(
        [sys.executable, "-c", SCRIPT, str(root)], root, 2, signal.SIGKILL
    )
    return run_dir, len(logged_epochs(run_dir))


def signal_when_logged(
    command: list[str], root: Path, epochs: int, signum: int
) -> Path:
    """Run ``command`` (a training into ``root``, run label ``killed``); send it
    ``signum`` once its history CSV shows ``epochs`` epochs; the run's folder."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 300
    try:
        while time.monotonic() < deadline and process.poll() is None:
            runs = sorted(p for p in root.glob("*-killed") if p.is_dir())
            if runs and len(logged_epochs(runs[0])) >= epochs:
                os.kill(process.pid, signum)
                process.wait(60)
                return runs[0]
            time.sleep(0.02)  # polling another process: nothing to wait on
        stderr = process.stderr.read().decode() if process.poll() is not None else ""
        pytest.fail(f"training never logged {epochs} epochs: {stderr[-2000:]}")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(30)
        process.stderr.close()


def test_a_run_killed_mid_epoch_resumes_continuously_and_keeps_its_best(tmp_path):
    import keras

    from core.model_files.loading import load_model_file
    from core.training.resume import open_recorded_dataset, resume_session

    run_dir, logged = kill_after_two_epochs(tmp_path / "runs")
    assert not (run_dir / "run.json").exists()  # killed: it never recorded its end
    assert logged < EPOCHS

    out = resume_session(run_dir)

    record = out.run.record()
    assert record["stop_reason"] == "completed"
    # continuous: every epoch once, in order, in the log and the record
    assert logged_epochs(run_dir) == list(range(EPOCHS))
    assert len(record["history"]["loss"]) == EPOCHS
    # at most the epoch running at the kill was lost and trained again
    assert record["resumes"][0]["from_epoch"] >= logged
    # best.keras is the model of the best epoch run.json names
    best = record["best_epoch"]
    assert best == min(range(EPOCHS), key=lambda e: record["history"]["val_loss"][e])
    model = load_model_file(run_dir / "best.keras")
    model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    from core.data.pipeline import make_tf_dataset

    data = open_recorded_dataset(out.run)
    val = make_tf_dataset(data, "validation", (64, 64), 3, 8, cache=False)
    loss, _ = model.evaluate(val, verbose=0)
    assert loss == pytest.approx(record["history"]["val_loss"][best], rel=1e-4)
    keras.backend.clear_session()
