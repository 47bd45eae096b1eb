"""Runs that could only waste the user's time are refused before they start.

Offline, the VGG16 transfer preset was told to use weights "none"; its Freeze
stayed on "all", so a random, frozen VGG16 trained a head on noise (one epoch:
test accuracy 0.110, no warning). The pre-flight checks refuse that in one
sentence, from the app and the command line alike
(``tests/desktop/test_useless_run_refused.py`` drives the Training page).
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from core.cli import main
from core.data.load import open_dataset
from core.data.spec import DatasetSpec
from core.presets import preset
from core.spec import HeadSpec
from core.training.config import TrainingConfig
from core.training.preflight import preflight
from tests.reliability.test_cli_user_errors import TF_NOISE
from tests.shapes_folder import shapes_folder

FROZEN_RANDOM = "frozen with random weights"


@pytest.fixture(scope="module")
def shapes():
    return open_dataset(DatasetSpec(name="shapes", count=60))


def vgg16(shapes, **backbone) -> object:
    spec = preset("vgg16-cifar10-transfer")
    spec = replace(spec, head=HeadSpec(shapes.num_classes))
    return spec.with_backbone_options(**backbone)


@pytest.mark.parametrize(
    ("options", "fine_tune", "refused"),
    [
        ({"weights": "none"}, False, True),  # the offline advice, Freeze on "all"
        ({"weights": "none", "freeze": "none"}, False, False),
        ({"weights": "imagenet"}, False, False),
        ({"weights": "none"}, True, False),  # phase 2 trains the backbone
    ],
)
def test_a_frozen_backbone_with_random_weights_is_refused(
    shapes, options, fine_tune, refused
):
    cfg = TrainingConfig(fine_tune=fine_tune)
    problems = preflight(vgg16(shapes, **options), shapes, cfg)
    said = [p for p in problems if FROZEN_RANDOM in p]
    assert bool(said) is refused, problems
    if refused:
        assert "unfreeze the backbone" in said[0]
        assert "load weights" in said[0]
        assert said[0].count(". ") == 0  # one sentence


def test_the_command_line_refuses_it_in_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder = shapes_folder(tmp_path / "shapes")
    status = main(
        [
            "train",
            "--preset",
            "vgg16-cifar10-transfer",
            "--weights",
            "none",
            "--dataset",
            str(folder),
            "--epochs",
            "1",
        ]
    )
    err = capsys.readouterr().err
    lines = [
        line
        for line in err.splitlines()
        if not TF_NOISE.match(line) and not line.startswith(("loading", "warning"))
    ]
    assert "Traceback" not in err
    assert status == 1, err
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    assert FROZEN_RANDOM in lines[0]
    assert not list(tmp_path.rglob("run.json"))  # refused before a run folder
