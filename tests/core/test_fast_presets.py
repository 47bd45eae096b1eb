"""The fast presets of issue 26 build, train one epoch and evaluate on a small cut.

Their full runs (40, 20 and 10 minutes, three seeds) are ``bench/reproduce.py
--fast``; here each recipe, with every technique it turns on (whitening, EMA,
alternating flip and translate, test-time augmentation, one-cycle Nesterov
SGD), must go end to end on a few hundred images.
"""

from __future__ import annotations

import pytest

from core.presets import named_preset
from tests.core.test_preset_recipes import one_epoch_on_a_cut

FAST = ("cifar10-fast", "fashion-mnist-fast", "mnist-fast")


@pytest.mark.parametrize("name", FAST)
def test_a_fast_preset_keeps_its_final_model_and_turns_its_techniques_on(name):
    preset = named_preset(name)
    training = preset.project().training
    assert "issue 26" in preset.description
    # cifar10-fast's ablation removed weight averaging (docs/benchmarks.md)
    assert training.ema == (name != "cifar10-fast")
    assert not training.checkpoint  # the final (averaged) model is kept
    assert preset.project().augmentation.translate == 2
    # SGD's weight decay paid in cifar10-fast (docs/benchmarks.md)
    assert training.sgd_weight_decay == (0.013 if name == "cifar10-fast" else 0.0)


@pytest.mark.slow
@pytest.mark.parametrize("name", FAST)
def test_a_fast_preset_builds_trains_and_evaluates(name, shared_datasets, tmp_path):
    outcome = one_epoch_on_a_cut(name, shared_datasets, tmp_path)
    assert outcome.result.epochs_run == 1
    assert outcome.evaluation is not None
    assert 0.0 <= outcome.evaluation.accuracy <= 1.0
    assert outcome.run is not None
