"""A run's model predicts with the views its run's test figures averaged."""

from __future__ import annotations

import json

import pytest

from core.run_model import recorded_tta
from core.training.config import TrainingConfig


@pytest.mark.parametrize("tta", ["none", "flip", "flip_shifts"])
def test_the_run_names_the_views_it_was_set_to_test_with(tmp_path, tta):
    training = TrainingConfig(tta=tta).to_dict()
    (tmp_path / "config.json").write_text(json.dumps({"training": training}))
    assert recorded_tta(tmp_path) == tta


@pytest.mark.parametrize(
    "config",
    [
        None,  # a model file outside any run
        "{not json",
        json.dumps({"training": {"tta": "mirror everything"}}),
        json.dumps({"training": "not a mapping"}),
        json.dumps({}),  # a run from before the setting: plain predictions
    ],
)
def test_a_folder_that_cannot_tell_predicts_plainly(tmp_path, config):
    if config is not None:
        (tmp_path / "config.json").write_text(config)
    assert recorded_tta(tmp_path) == "none"
