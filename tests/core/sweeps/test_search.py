"""The search's own machinery, without training: the time budget and
Hyperband's trial count."""

from __future__ import annotations

import time

import pytest

from core.project import Project
from core.sweeps.events import hyperband_trials, time_left
from core.sweeps.objective import Objective
from core.sweeps.spec import parse_sweep
from tests.tiny_model import tiny_spec

kt = pytest.importorskip("keras_tuner")
search = pytest.importorskip("core.sweeps.search")

PROJECT = Project(name="tiny", model=tiny_spec())
RATE = {"training.learning_rate": {"min": 0.0001, "max": 0.1, "log": True}}
OBJECTIVE = Objective("val_accuracy", "max")


def test_no_trial_starts_after_the_minutes(tmp_path):
    spec = parse_sweep({"minutes": 1, "trials": 0, "vary": RATE}, PROJECT)
    oracle = search._oracle(spec, OBJECTIVE)
    oracle._set_project_dir(str(tmp_path), "tuner")
    assert oracle.create_trial("tuner0").status == "RUNNING"
    oracle.deadline = time.monotonic() - 1
    assert oracle.create_trial("tuner1").status == "STOPPED"


@pytest.mark.parametrize(("max_epochs", "factor"), [(3, 3), (9, 3), (10, 2)])
def test_hyperbands_count_is_kerastuners(max_epochs, factor, tmp_path):
    data = {"algorithm": "hyperband", "max_epochs": max_epochs, "factor": factor}
    data["trials"] = 0  # no trial limit: one whole pass
    spec = parse_sweep({**data, "vary": RATE}, PROJECT)
    oracle = search._oracle(spec, OBJECTIVE)
    oracle._set_project_dir(str(tmp_path), "tuner")
    made = 0
    while (trial := oracle.create_trial("tuner0")).status == "RUNNING":
        made += 1
        oracle.update_trial(trial.trial_id, {"val_accuracy": made / 100})
        trial.status = "COMPLETED"
        oracle.end_trial(trial)
    assert made == hyperband_trials(max_epochs, factor)


def test_time_left_is_the_trials_left_at_the_mean_capped_by_the_minutes():
    assert time_left([], 0, 5, None) is None
    assert time_left([10, 20], 5, 2, None) == 10 + 2 * 15
    assert time_left([10, 20], 0, 10, 1.0) == 60 + 15  # the last one finishes
    assert time_left([], 0, None, 2.0) == 120
