"""Export as Python with weight averaging (EMA): the script averages as the app does."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

import pytest

from core.data.spec import DatasetSpec
from core.inference.python_export import write_script
from core.recipe.optimizers import make_optimizer
from core.training.config import TrainingConfig
from tests.tiny_model import tiny_spec


@pytest.fixture
def exported(tmp_path, monkeypatch):
    """The script written for a config, imported as a module beside its recipe."""
    monkeypatch.syspath_prepend(str(tmp_path))

    def load(cfg: TrainingConfig) -> ModuleType:
        path = write_script(
            tmp_path / "model.py", tiny_spec(), DatasetSpec(name="shapes"), cfg
        )
        spec = importlib.util.spec_from_file_location("exported_model", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    yield load
    for name in [n for n in sys.modules if n == "recipe" or n.startswith("recipe.")]:
        del sys.modules[name]


def test_the_script_averages_the_weights_before_its_checkpoint(exported, tmp_path):
    cfg = TrainingConfig(ema=True, ema_momentum=0.995, early_stopping=True)
    script = exported(cfg)
    assert script.TRAINING["ema"] is True
    optimizer = make_optimizer(script.TRAINING, 1)
    assert optimizer.use_ema
    assert optimizer.ema_momentum == 0.995
    callbacks = script.make_callbacks(tmp_path / "out", True)
    assert [type(cb).__name__ for cb in callbacks] == [
        "AveragedWeights",
        "EarlyStopping",
        "ModelCheckpoint",
        "_RawWeightsBack",
        "BackupAndRestore",
        "CSVLogger",
    ]


def test_without_ema_the_script_is_as_before(exported, tmp_path):
    script = exported(TrainingConfig())
    assert "ema" not in script.TRAINING
    assert not hasattr(script, "AveragedWeights")
    callbacks = script.make_callbacks(tmp_path / "out", True)
    assert [type(cb).__name__ for cb in callbacks] == [
        "ModelCheckpoint",
        "BackupAndRestore",
        "CSVLogger",
    ]
