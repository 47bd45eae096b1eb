"""The fast presets of issue 26 build, train one epoch and evaluate on a small cut.

Their full runs (40, 20 and 10 minutes, three seeds) are ``bench/reproduce.py
--fast``; here each recipe, with every technique it turns on (whitening, EMA,
alternating flip and translate, test-time augmentation, one-cycle Nesterov
SGD), must go end to end on a few hundred images.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from core.data.load import open_dataset
from core.presets import named_preset
from core.runs import RunStore
from core.training.job import Overrides, for_this_machine, fraction_of
from core.training.session import run_session

ROOT = Path(__file__).resolve().parents[2]
FAST = ("cifar10-fast", "fashion-mnist-fast", "mnist-fast")


@pytest.mark.parametrize("name", FAST)
def test_a_fast_preset_is_a_draft_that_turns_its_techniques_on(name):
    preset = named_preset(name)
    training = preset.project().training
    assert preset.description.startswith("Draft, not yet measured")
    assert training.ema
    assert not training.checkpoint  # the final averaged model is kept
    assert preset.project().augmentation.translate == 2


@pytest.mark.slow
@pytest.mark.parametrize("name", FAST)
def test_a_fast_preset_builds_trains_and_evaluates(name, shared_datasets, tmp_path):
    project = named_preset(name).project()
    small = Overrides(epochs=1)
    if name == "cifar10-fast":  # 50 JPEGs a class, not the 60,000 of the full set
        small = replace(small, dataset=str(shared_datasets / "cifar-10-jpg-small"))
    project = for_this_machine(project, ROOT, small)
    assert project.dataset is not None
    dataset = open_dataset(project.dataset)
    dataset = fraction_of(dataset, 0.5 if name == "cifar10-fast" else 0.01)
    assert 200 <= len(dataset.splits["train"]) <= 600
    outcome = run_session(
        project.model,
        dataset=dataset,
        cfg=project.training,
        augmentation=project.augmentation,
        store=RunStore(tmp_path),
        label=name,
        data_spec=project.dataset,
    )
    assert outcome.result.epochs_run == 1
    assert outcome.evaluation is not None
    assert 0.0 <= outcome.evaluation.accuracy <= 1.0
    assert outcome.run is not None
