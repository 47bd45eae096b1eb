"""SWEEP.json: what a sweep may vary, and one clear line per mistake."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from core.errors import WorkbenchError
from core.project import Project
from core.setting_fields import REQUIREMENTS
from core.sweeps.space import sweepable_by_key, sweepable_settings
from core.sweeps.spec import SweepSpecError, load_sweep, parse_sweep, sweep_problems
from core.sweeps.trial_settings import trial_settings
from core.training.config import TrainingConfig
from tests.tiny_model import tiny_spec

PROJECT = Project(name="tiny", model=tiny_spec())
GOOD = {
    "name": "lr-and-filters",
    "algorithm": "random",
    "trials": 4,
    "vary": {
        "training.learning_rate": {"min": 0.0001, "max": 0.01, "log": True},
        "training.optimizer": {"values": ["adam", "sgd"]},
        "training.momentum": {"min": 0.5, "max": 0.95},
        "layers.conv2d_1.filters": {"min": 4, "max": 16, "step": 4},
        "augmentation.rotation": {"values": [0, 10]},
    },
}


def test_the_list_comes_from_the_declarations_and_the_model():
    found = sweepable_by_key(PROJECT.model)
    rate = found["training.learning_rate"]
    assert (rate.minimum, rate.maximum, rate.log) == (0.000001, 1.0, True)
    assert found["training.optimizer"].choices[:2] == ("adam", "sgd")
    assert found["training.momentum"].used_when == ("training.optimizer", "sgd")
    assert found["augmentation.zoom"].exclusive_maximum
    assert found["layers.conv2d_1.filters"].kind == "int"
    assert found["layers.conv2d_1.filters"].default == 4
    # Not what a run learns with, or the objective itself: not offered.
    for name in ("checkpoint_monitor", "tta", "fine_tune_from"):
        assert f"training.{name}" not in found
    keys = [s.key for s in sweepable_settings(PROJECT.model)]
    assert keys.index("training.learning_rate") < keys.index("augmentation.rotation")
    assert keys[-1].startswith("layers.")


def test_a_good_sweep_parses_and_round_trips():
    spec = parse_sweep(GOOD, PROJECT)
    assert spec.name == "lr-and-filters"
    assert spec.settings.trials == 4
    filters = spec.vary[3]
    assert (filters.minimum, filters.maximum, filters.step) == (4, 16, 4)
    assert isinstance(filters.minimum, int)
    assert parse_sweep(spec.to_dict(), PROJECT) == spec
    assert spec.with_budget(trials=9).settings.trials == 9
    assert "trials" not in spec.search()


def test_every_mistake_is_one_line_naming_where_it_is():
    bad = {
        "name": "no spaces please",
        "algorithm": "grid",
        "trials": -1,
        "colour": "blue",
        "vary": {
            "training.learning_rate": {"min": 0.1, "max": 5},
            "training.checkpoint_monitor": {"values": ["val_loss"]},
            "training.learnin_rate": {"min": 0.1, "max": 0.2},
            "training.schedule": {"min": 1, "max": 2},
            "training.momentum": {"min": 0.5, "max": 0.9},
            "layers.conv2d_1.filters": {"min": 16, "max": 4},
            "training.weight_decay": {"min": 0, "max": 0.1, "log": True},
            "augmentation.rotation": {"values": [10, 500], "max": 3},
            "training.batch_size": {"values": []},
            "training.label_smoothing": {"values": [0.1, 0.9]},
        },
    }
    problems = sweep_problems(bad, PROJECT)
    expected = [
        "colour: unknown key",
        "name: must be letters",
        "algorithm: must be one of random, bayesian, hyperband",
        "trials: must be between 0 and 100,000",
        "vary.training.learning_rate.max: must be from 1e-06 to at most 1, not 5",
        "vary.training.checkpoint_monitor: cannot be varied: the sweep's objective",
        "vary.training.learnin_rate: not a setting this project can vary",
        'vary.training.schedule: give its values, e.g. {"values": [',
        "vary.training.momentum: used only when training.optimizer is sgd (the "
        "project's is adam)",
        "vary.layers.conv2d_1.filters: min must be below max",
        "vary.training.weight_decay.min: a log scale needs a min above 0",
        "vary.training.weight_decay: used only when training.optimizer is adamw or "
        "muon",
        "vary.augmentation.rotation: give values, or min and max, not both",
        "vary.training.batch_size.values: must be a list of at least one value",
        "vary.training.label_smoothing.values[1]: must be from 0 to at most 0.5, "
        "not 0.9",
    ]
    for start in expected:
        assert sum(p.startswith(start) for p in problems) == 1, (start, problems)
    assert len(problems) == len(expected), problems
    assert all("\n" not in p for p in problems)
    with pytest.raises(SweepSpecError) as raised:
        parse_sweep(bad, PROJECT)
    assert raised.value.problems == problems


def test_a_sweep_needs_a_budget_and_something_to_vary():
    problems = sweep_problems({"trials": 0, "vary": {}}, PROJECT)
    assert [p.split(":")[0] for p in problems] == ["trials", "vary"]
    hyperband = {"algorithm": "hyperband", "trials": 0, "vary": GOOD["vary"]}
    assert sweep_problems(hyperband, PROJECT) == []  # it ends by itself


def test_hyperband_refuses_what_it_cannot_continue_in_one_line_each():
    cosine = replace(PROJECT, training=TrainingConfig(schedule="cosine"))
    vary = {
        "training.epochs": {"min": 1, "max": 5},
        "training.learning_rate": {"values": [0.001, 0.01]},
    }
    problems = sweep_problems({"algorithm": "hyperband", "vary": vary}, cosine)
    assert problems[0].startswith("vary.training.epochs: hyperband sets each trial's")
    assert problems[1].startswith(
        "algorithm: hyperband continues trials for more epochs, which the project's "
        "cosine schedule cannot follow"
    )
    schedules = {"training.schedule": {"values": ["none", "one_cycle"]}}
    [line] = sweep_problems({"algorithm": "hyperband", "vary": schedules}, cosine)
    assert line.startswith("vary.training.schedule: hyperband continues trials")
    assert "the one_cycle schedule" in line


def test_a_missing_package_refuses_its_algorithm_with_the_install_line(monkeypatch):
    monkeypatch.setitem(REQUIREMENTS, "bayesian", lambda: "Bayesian search needs X")
    [line] = sweep_problems({**GOOD, "algorithm": "bayesian"}, PROJECT)
    assert line == "algorithm: Bayesian search needs X"
    monkeypatch.setitem(REQUIREMENTS, "keras_tuner", lambda: "Sweeps need Y")
    assert sweep_problems(GOOD, PROJECT) == ["algorithm: Sweeps need Y"]


def test_the_real_requirement_names_the_extra(monkeypatch):
    from core.sweeps import requirements

    monkeypatch.setattr(requirements, "installed", lambda module: False)
    assert 'pip install -e ".[sweeps]"' in requirements.keras_tuner_missing()
    assert 'pip install -e ".[sweeps]"' in requirements.bayesian_missing()


def test_a_sweep_file_names_itself_after_its_file(tmp_path):
    path = tmp_path / "wide-lr.json"
    path.write_text(json.dumps({k: v for k, v in GOOD.items() if k != "name"}))
    assert load_sweep(path, PROJECT).name == "wide-lr"
    path.write_text("{not json")
    with pytest.raises(WorkbenchError, match="is not valid JSON"):
        load_sweep(path, PROJECT)


def test_a_trial_puts_its_values_into_the_project_settings():
    augmentation = PROJECT.augmentation.switched("rotation", False)
    off = replace(PROJECT, augmentation=augmentation)
    settings = trial_settings(
        off,
        {
            "training.learning_rate": 0.01,
            "training.weight_decay": 0,
            "layers.conv2d_1.filters": 8,
            "augmentation.rotation": 10,
        },
    )
    assert settings.training.learning_rate == 0.01
    assert isinstance(settings.training.weight_decay, float)
    assert settings.model.layers[1].config["filters"] == 8
    assert settings.augmentation.amount("rotation") == 10  # switched on to be tried
    dotted = replace(
        PROJECT,
        model=replace(
            PROJECT.model,
            layers=(PROJECT.model.layers[0], PROJECT.model.layers[1].renamed("c.1")),
        ),
    )
    assert (
        trial_settings(dotted, {"layers.c.1.filters": 6})
        .model.layers[1]
        .config["filters"]
        == 6
    )
    with pytest.raises(WorkbenchError, match=r"conv2d_1: filters must be at least"):
        trial_settings(PROJECT, {"layers.conv2d_1.filters": 0})
