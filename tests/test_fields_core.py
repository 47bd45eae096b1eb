"""The field system in core: declarations drive validation, parsing and the CLI.

No Qt here. Every declared number is accepted at its bounds and refused just
outside them; an older version's wider value still loads, flagged; and the
command line refuses what the form cannot take.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace

import pytest

from core.augmentation.config import AugmentationConfig
from core.errors import ProjectFormatError
from core.project import Project, load_project
from core.setting_fields import Limits, setting_fields, settings_problems
from core.training.config import TrainingConfig
from core.training.preflight import check_settings

SETTINGS = (TrainingConfig, AugmentationConfig)
NUMBERS = [
    (cls, f)
    for cls in SETTINGS
    for f in setting_fields(cls)
    if f.kind in ("int", "float")
]


def _accepts(cls, name, value) -> bool:
    try:
        config = replace(cls(), **{name: value})
    except ValueError:
        return False
    return all(n != name for n, _ in settings_problems(config))


def _just_outside(field):
    tiny = 1 if field.kind == "int" else 1e-9
    low = None if field.minimum is None else field.minimum - tiny
    high = None
    if field.maximum is not None:
        high = field.maximum if field.exclusive_maximum else field.maximum + tiny
    return [v for v in (low, high) if v is not None]


@pytest.mark.parametrize(
    ("cls", "field"), NUMBERS, ids=[f"{c.__name__}.{f.name}" for c, f in NUMBERS]
)
def test_each_number_is_accepted_at_its_bounds_and_refused_beyond(cls, field):
    assert field.minimum is not None, "every number declares its range"
    assert field.maximum is not None
    assert field.problem(field.minimum) is None
    assert _accepts(cls, field.name, field.minimum)
    if not field.exclusive_maximum:
        assert _accepts(cls, field.name, field.maximum)
    for value in _just_outside(field):
        assert field.problem(value), value
        assert not _accepts(cls, field.name, value), value


@pytest.mark.parametrize(
    ("cls", "field"), NUMBERS, ids=[f"{c.__name__}.{f.name}" for c, f in NUMBERS]
)
def test_what_a_file_may_hold_includes_what_an_edit_may_set(cls, field):
    loads = field.loads or field.bounds
    assert loads.admit(field.minimum)
    if not field.exclusive_maximum:
        assert loads.admit(field.maximum)


def test_an_old_project_with_values_beyond_the_bounds_loads_flagged(tmp_path):
    """What d147374 accepted (learning rate below 10, any batch size) still loads."""
    data = Project().to_dict()
    data["training"].update(learning_rate=5.0, batch_size=5000, momentum=0.9995)
    path = tmp_path / "old.cnnwb.json"
    path.write_text(json.dumps(data))
    project = load_project(path)
    assert project.training.learning_rate == 5.0
    assert project.training.batch_size == 5000
    assert {n for n, _ in project.training.problems()} == {
        "learning_rate",
        "batch_size",
        "momentum",
    }
    flagged = project.flagged()
    assert len(flagged) == 3
    assert any("training.batch_size 5000 is kept" in line for line in flagged)
    check_settings(project.training)  # a run (a resume) is not refused for them
    assert project.training.refusals() == []


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("learning_rate", 0.0),
        ("learning_rate", 10.0),
        ("batch_size", 0),
        ("optimizer", "lion"),
        ("epochs", 2.5),
    ],
)
def test_what_no_version_accepted_is_still_refused(key, value):
    with pytest.raises(ProjectFormatError) as info:
        TrainingConfig.from_dict({key: value})
    assert info.value.field == f"training.{key}"


def test_limits_say_their_range_in_words():
    assert Limits(0, 0.5).words() == "between 0 and 0.5"
    assert Limits(0, 1, high_open=True).words() == "from 0 to below 1"
    assert Limits(0, 10, low_open=True, high_open=True).words() == (
        "above 0 and below 10"
    )
    assert Limits(1).words() == "at least 1"


def _train_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "core", "train", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_command_line_refuses_a_learning_rate_the_form_cannot_take(tmp_path):
    """d147374 took ``--learning-rate 5`` (validation allowed up to 10)."""
    done = _train_cli("--resume", str(tmp_path), "--learning-rate", "5")
    assert done.returncode == 2
    [line] = done.stderr.strip().splitlines()
    assert "--learning-rate: must be between 1e-06 and 1" in line
