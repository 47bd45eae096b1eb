"""The cosine schedule's warm-up: one rule for runs and the exported script."""

from __future__ import annotations

import keras
import pytest

from core.errors import ProjectFormatError
from core.recipe.optimizers import cosine_schedule, make_optimizer, phase_settings
from core.training.config import TrainingConfig


def rates(schedule, steps: int) -> list[float]:
    return [float(schedule(step)) for step in range(steps + 1)]


def test_without_warm_up_the_rate_decays_from_the_first_step():
    curve = rates(cosine_schedule(0.01, 20, 0.0), 20)
    assert curve[0] == pytest.approx(0.01)
    assert curve[-1] == pytest.approx(0.0)
    assert curve == sorted(curve, reverse=True)


def test_warm_up_climbs_from_zero_then_decays_to_zero_at_the_last_step():
    curve = rates(cosine_schedule(0.01, 20, 0.25), 20)
    assert curve[0] == pytest.approx(0.0)
    assert curve[:6] == sorted(curve[:6])  # 5 warm-up steps: a quarter of 20
    assert curve[5] == pytest.approx(0.01)
    assert curve[5:] == sorted(curve[5:], reverse=True)
    assert curve[20] == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize(("total", "warm"), [(1, 0), (2, 1), (10, 5)])
def test_at_least_one_step_decays_however_short_the_phase(total, warm):
    schedule = cosine_schedule(0.01, total, 0.5)
    assert schedule.warmup_steps == warm
    assert schedule.decay_steps == total - warm
    if not warm:  # a one-step phase trains at the full rate
        assert float(schedule(0)) == pytest.approx(0.01)


def test_the_optimizer_warms_up_as_the_config_says():
    cfg = TrainingConfig(schedule="cosine", epochs=4, warmup=0.1)
    schedule = make_optimizer(cfg.to_dict(), 5)._learning_rate
    assert isinstance(schedule, keras.optimizers.schedules.CosineDecay)
    assert (schedule.warmup_steps, schedule.decay_steps) == (2, 18)
    # Phase 2 warms up over the same share of its own steps.
    phase_two = phase_settings(cfg.to_dict(), phase=2)
    assert phase_two["epochs"] == cfg.fine_tune_epochs == 5
    schedule = make_optimizer(cfg.to_dict(), 4, phase=2)._learning_rate
    assert (schedule.warmup_steps, schedule.decay_steps) == (2, 18)
    assert float(schedule(2)) == pytest.approx(phase_two["learning_rate"])


def test_warm_up_is_checked_and_old_projects_load_without_it():
    assert ("warmup", "must be between 0 and 0.5, e.g. 0.05") in TrainingConfig(
        warmup=0.6
    ).problems()
    old = TrainingConfig().to_dict()
    del old["warmup"]
    assert TrainingConfig.from_dict(old).warmup == 0.0
    with pytest.raises(ProjectFormatError, match="warmup"):
        TrainingConfig.from_dict({**old, "warmup": -0.1})
