"""A run checks its settings once and seeds once, wherever the steps are.

Before, ``run_session`` and ``engine.train`` each did both: the second seed
reset the random state after the model was built, and the settings were
refused twice over. Counted by replacing the functions wherever a core module
holds them, so the test does not depend on which module calls them.
"""

from __future__ import annotations

import sys

import keras

from core.data.load import open_dataset
from core.data.spec import DatasetSpec
from core.training import preflight
from core.training.config import TrainingConfig
from core.training.session import run_session
from tests.tiny_model import tiny_spec


def count_calls(monkeypatch, function) -> list[tuple]:
    """Replace ``function`` in every loaded core module (and keras.utils);
    returns the list of the arguments of each call."""
    calls: list[tuple] = []

    def counted(*args, **kwargs):
        calls.append(args)
        return function(*args, **kwargs)

    modules = [keras.utils] + [
        m for name, m in list(sys.modules.items()) if name.split(".")[0] == "core"
    ]
    for module in modules:
        for attribute, value in list(vars(module).items()):
            if value is function:
                monkeypatch.setattr(module, attribute, counted)
    return calls


def test_a_run_checks_its_settings_and_seeds_once(monkeypatch):
    checks = count_calls(monkeypatch, preflight.check_settings)
    seeds = count_calls(monkeypatch, keras.utils.set_random_seed)
    data = open_dataset(DatasetSpec(name="shapes", count=30, image_size=(16, 16)))
    cfg = TrainingConfig(epochs=1, batch_size=8, seed=7)
    out = run_session(tiny_spec(6, size=16), dataset=data, cfg=cfg)
    assert out.result.epochs_run == 1
    assert len(checks) == 1
    assert seeds == [(7,)]
