"""The run-model rule names the files of a run trained with weight averaging (EMA)."""

from __future__ import annotations

import json

import pytest

from core.run_model import BEST, FINAL, final_weights, run_model
from core.training.config import TrainingConfig


@pytest.mark.parametrize("ema", [True, False])
def test_the_labels_say_a_run_kept_averaged_weights(tmp_path, ema):
    training = TrainingConfig(ema=ema, ema_momentum=0.995).to_dict()
    (tmp_path / "config.json").write_text(json.dumps({"training": training}))
    (tmp_path / "best.keras").write_bytes(b"")
    (tmp_path / "last.keras").write_bytes(b"")
    kept, final = run_model(tmp_path), final_weights(tmp_path)
    assert (kept.kind, final.kind) == (BEST, FINAL)
    suffix = ", averaged" if ema else ""
    assert kept.label == "best model" + suffix
    assert final.label == "final weights" + suffix  # still names the final weights


def test_a_run_without_a_readable_config_is_not_called_averaged(tmp_path):
    (tmp_path / "config.json").write_text("{not json")
    (tmp_path / "last.keras").write_bytes(b"")
    assert run_model(tmp_path).label == "final weights"
