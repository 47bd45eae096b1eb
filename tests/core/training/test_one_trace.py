"""A run traces its train step once per ``fit``, not twice.

Keras (TensorFlow, no distribution strategy) created the optimizer's and the
compiled metrics' variables inside the first trace of the train step, and a
``tf.function`` that creates variables is traced again: every run and every
phase paid for two traces of the step and its gradients before its first batch.
"""

from __future__ import annotations

import keras

from core.model_builder import build_model
from core.training.config import TrainingConfig
from core.training.engine import train
from tests.core.training.test_engine import SPEC, data


def counted_train_step(model: keras.Model) -> list[int]:
    """Count the calls of ``model.train_step``: Keras calls it once per trace."""
    calls: list[int] = []
    step = model.train_step

    def counted(batch):
        calls.append(1)
        return step(batch)

    model.train_step = counted
    return calls


def test_a_run_traces_its_train_step_once():
    keras.utils.set_random_seed(0)
    model = build_model(SPEC)
    traces = counted_train_step(model)
    cfg = TrainingConfig(epochs=2, checkpoint=False, optimizer="adamw")
    result = train(model, data(), data(n=32, seed=1), cfg)
    assert result.epochs_run == 2
    assert len(traces) == 1  # twice before: the variables were made in the first


def test_the_norm_layers_optimizer_and_a_moving_average_trace_once_too():
    from tests.core.training.test_resume_state import BN_SPEC

    keras.utils.set_random_seed(0)
    model = build_model(BN_SPEC)
    traces = counted_train_step(model)
    cfg = TrainingConfig(
        epochs=2, checkpoint=False, norm_lr_factor=8.0, ema=True, schedule="one_cycle"
    )
    result = train(model, data(), data(n=32, seed=1), cfg)
    assert result.epochs_run == 2
    assert len(traces) == 1
