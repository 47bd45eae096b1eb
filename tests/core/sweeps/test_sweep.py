"""Sweeps on tiny data: two trials, Stop and continue, a failing trial.

Each trial is one epoch of the tiny model on 60 built-in shapes.
"""

from __future__ import annotations

import json
import threading

import pytest

from core.data.load import open_dataset
from core.data.spec import DatasetSpec
from core.project import Project
from core.runs import RunStore
from core.spec import HeadSpec, InputSpec, LayerSpec, ModelSpec
from core.sweeps.events import STOPPED, TRIALS_SPENT
from core.sweeps.folder import COMPLETED, FAILED, list_sweeps
from core.sweeps.folder import STOPPED as TRIAL_STOPPED
from core.sweeps.search import run_sweep
from core.sweeps.spec import parse_sweep
from core.training.config import TrainingConfig
from core.training.events import NullListener
from tests.tiny_model import tiny_spec

pytest.importorskip("keras_tuner")

DATA = DatasetSpec(name="shapes", count=60)
PROJECT = Project(
    name="tiny",
    model=tiny_spec(),
    dataset=DATA,
    training=TrainingConfig(epochs=1, batch_size=16),
)
RATES = {"training.learning_rate": {"values": [0.001, 0.01]}}


@pytest.fixture(scope="module")
def dataset():
    return open_dataset(DATA)


class Recorder:
    """A sweep listener keeping what it heard, as (event, trial number)."""

    def __init__(self) -> None:
        self.events: list[tuple[str, int]] = []
        self.words: list[str] = []

    def on_sweep_begin(self, folder, done) -> None:
        self.events.append(("begin", len(done)))

    def on_trial_begin(self, trial, progress) -> None:
        self.events.append(("trial", trial.number))
        self.words.append(progress.words())

    def on_trial_end(self, trial, progress) -> None:
        self.events.append((trial.status, trial.number))

    def on_sweep_end(self, outcome) -> None:
        self.events.append(("end", len(outcome.trials)))


def test_two_trials_are_two_runs_of_the_project_named_by_the_sweep(tmp_path, dataset):
    store = RunStore(tmp_path / "tiny.runs")
    spec = parse_sweep({"name": "rates", "trials": 2, "vary": RATES}, PROJECT)
    heard = Recorder()
    outcome = run_sweep(spec, PROJECT, dataset, store, listener=heard)

    assert outcome.reason == TRIALS_SPENT
    assert heard.events == [
        ("begin", 0),
        ("trial", 1),
        (COMPLETED, 1),
        ("trial", 2),
        (COMPLETED, 2),
        ("end", 2),
    ]
    assert heard.words[0] == "trial 1 of 2"
    assert heard.words[1].startswith("trial 2 of 2, about ")
    runs = store.list()
    trials = outcome.trials
    assert sorted(t.run for t in trials) == [r.name for r in runs]
    assert sorted(t.values["training.learning_rate"] for t in trials) == [0.001, 0.01]
    for trial, run in zip(trials, sorted(runs, key=lambda r: r.name), strict=True):
        assert run.config()["sweep"] == {"name": "rates", "trial": trial.trial_id}
        assert (
            run.config()["training"]["learning_rate"]
            == (trial.values["training.learning_rate"])
        )
        assert run.record()["stop_reason"] == "completed"
        assert not (run.path / "evaluation.json").exists()  # never tested
        assert trial.score == pytest.approx(run.record()["best_value"])
        assert trial.best_epoch == 1
        assert trial.epochs == 1
    assert outcome.best is not None
    assert outcome.best.score == max(t.score for t in trials)

    # Read back from its folder alone: no search, nothing recomputed.
    [folder] = list_sweeps(store.root)
    rows = folder.results()
    assert [row["trial"] for row in rows] == [1, 2]
    assert list(rows[0])[:4] == [
        "trial",
        "status",
        "training.learning_rate",
        "val_accuracy",
    ]
    csv = folder.export_csv(tmp_path / "rates.csv").read_text().splitlines()
    assert csv[0].startswith("trial,status,training.learning_rate,val_accuracy")
    assert len(csv) == 3
    record = json.loads((folder.path / "sweep.json").read_text())
    assert record["state"] == "finished"
    assert record["objective"] == {"name": "val_accuracy", "direction": "max"}
    # The sweeps' folder is not a run.
    assert all(run.path.parent == store.root for run in store.list())
    assert len(store.list()) == 2


def test_stop_keeps_the_trial_and_continue_resumes_its_run(tmp_path, dataset):
    store = RunStore(tmp_path / "tiny.runs")
    spec = parse_sweep({"name": "stopped", "trials": 2, "vary": RATES}, PROJECT)
    cancel = threading.Event()

    class StopAtFirstBatch(NullListener):
        def on_batch_end(self, epoch, batch, logs) -> None:
            cancel.set()  # as the app's Stop button, mid-trial

    outcome = run_sweep(
        spec, PROJECT, dataset, store, trial_listener=StopAtFirstBatch(), cancel=cancel
    )
    assert outcome.stopped
    assert outcome.reason == STOPPED
    [trial] = outcome.trials
    assert trial.status == TRIAL_STOPPED
    [run] = store.list()
    assert trial.run == run.name
    assert run.record()["stop_reason"] == "cancelled"
    assert json.loads((outcome.folder.path / "sweep.json").read_text())["state"] == (
        "stopped"
    )

    heard = Recorder()
    again = run_sweep(spec, PROJECT, dataset, store, listener=heard)
    assert again.reason == TRIALS_SPENT
    assert heard.events[0] == ("begin", 1)
    first, second = again.trials
    assert (first.trial_id, first.run, first.status) == (
        trial.trial_id,
        run.name,
        COMPLETED,
    )
    assert first.values == trial.values
    assert run.record()["stop_reason"] == "completed"
    assert len(run.config()["resumes"]) == 1  # its own run, resumed
    assert second.status == COMPLETED
    assert second.run != run.name
    assert len(store.list()) == 2


def test_a_failing_trial_is_recorded_and_the_sweep_goes_on(tmp_path, dataset):
    # 8x8 images: a 3x3 valid convolution, a pool and a 5x5 one is -1 pixels
    # wide ("valid"), refused before training; "same" keeps 3x3.
    model = ModelSpec(
        InputSpec(8, 8, 3),
        (
            LayerSpec.create("Rescaling", "rescaling_1"),
            LayerSpec.create("Conv2D", "conv2d_1", {"filters": 4}),
            LayerSpec.create("MaxPooling2D", "max_pooling2d_1"),
            LayerSpec.create("Conv2D", "conv2d_2", {"filters": 4, "kernel_size": 5}),
            LayerSpec.create("GlobalAveragePooling2D", "gap_1"),
        ),
        HeadSpec(6),
    )
    project = Project(
        name="small", model=model, dataset=DATA, training=PROJECT.training
    )
    store = RunStore(tmp_path / "small.runs")
    vary = {"layers.conv2d_2.padding": {"values": ["valid", "same"]}}
    spec = parse_sweep({"name": "padding", "trials": 2, "vary": vary}, project)
    outcome = run_sweep(spec, project, dataset, store)

    assert outcome.reason == TRIALS_SPENT
    by_padding = {t.values["layers.conv2d_2.padding"]: t for t in outcome.trials}
    failed, done = by_padding["valid"], by_padding["same"]
    assert failed.status == FAILED
    assert failed.run is None  # refused before a run folder was made
    assert "conv2d_2" in failed.message
    assert "\n" not in failed.message
    assert done.status == COMPLETED
    assert done.score is not None
    assert [r.name for r in store.list()] == [done.run]
    assert outcome.best == done


def test_hyperband_continues_a_copy_of_the_earlier_trials_run(tmp_path, dataset):
    store = RunStore(tmp_path / "tiny.runs")
    # max_epochs 3, factor 3: its first bracket trains 3 trials 1 epoch each,
    # then continues the best to 3 epochs; 4 trials stop the sweep there.
    data = {"name": "hb", "algorithm": "hyperband", "trials": 4, "max_epochs": 3}
    spec = parse_sweep(
        {**data, "vary": RATES | {"training.batch_size": {"values": [8, 16]}}}, PROJECT
    )
    outcome = run_sweep(spec, PROJECT, dataset, store)

    assert [t.status for t in outcome.trials] == [COMPLETED] * 4
    *first, last = outcome.trials
    assert [t.epochs_goal for t in first] == [1, 1, 1]
    assert (last.epochs_goal, last.initial_epoch) == (3, 1)
    earlier = next(t for t in first if t.trial_id == last.continues)
    assert earlier.score == max(t.score for t in first)
    assert last.values == earlier.values
    runs = {r.name: r for r in store.list()}
    assert len(runs) == 4
    copy, source = runs[last.run], runs[earlier.run]
    assert copy.config()["sweep"]["continues"] == earlier.run
    assert len(copy.history()["loss"]) == 3  # the earlier epoch and two more
    assert len(source.history()["loss"]) == 1  # as its trial scored it
    assert last.epochs == 3
