"""A resumed run goes on as the run was: the best model, early stopping, the schedule.

Each test stops a run during its third epoch and resumes it, as the Resume
button does, then checks what the resumed run kept against what it records.
"""

from __future__ import annotations

import threading
from dataclasses import replace

import keras
import numpy as np
import pytest

from core.data.load import open_dataset
from core.data.pipeline import make_tf_dataset
from core.data.spec import DatasetSpec
from core.model_builder import build_model
from core.recipe.optimizers import NORM_OPTIMIZER, optimizer_parts
from core.runs import RunStore
from core.spec import LayerSpec
from core.training.config import TrainingConfig
from core.training.engine import train
from core.training.events import NullListener
from core.training.session import run_session
from tests.core.training.test_engine import SPEC, data
from tests.core.training.test_session import small_spec


class StopInThirdEpoch(NullListener):
    def __init__(self, cancel: threading.Event) -> None:
        self.cancel = cancel

    def on_batch_end(self, epoch, batch, logs):
        if epoch == 2:
            self.cancel.set()


def stopped_then_resumed(tmp_path, cfg, resumed_cfg):
    """Two epochs of ``cfg``, a Stop in the third, then a resume with ``resumed_cfg``.

    Returns the dataset and both session results.
    """
    keras.utils.set_random_seed(0)
    dataset = open_dataset(DatasetSpec(name="shapes", count=120))
    store = RunStore(tmp_path / "runs")
    cancel = threading.Event()
    first = run_session(
        small_spec(6),
        dataset=dataset,
        cfg=cfg,
        listener=StopInThirdEpoch(cancel),
        cancel=cancel,
        store=store,
    )
    assert first.result.epochs_run == 2
    resumed = run_session(
        small_spec(6), dataset=dataset, cfg=resumed_cfg, store=store, resume=first.run
    )
    return dataset, first, resumed


def val_loss_of(path, dataset, batch_size: int) -> float:
    model = keras.models.load_model(path)
    model.compile(loss="sparse_categorical_crossentropy")
    ds = make_tf_dataset(dataset, "validation", (32, 32), 3, batch_size)
    return float(model.evaluate(ds, verbose=0, return_dict=True)["loss"])


def test_a_resume_that_only_gets_worse_keeps_the_earlier_best_model(tmp_path):
    # Without a backup, so the resumed run's optimizer takes the new rate.
    cfg = TrainingConfig(
        epochs=4, batch_size=16, checkpoint_monitor="val_loss", backup_and_restore=False
    )
    # Resumed at a far too high rate, every later epoch is worse.
    dataset, first, resumed = stopped_then_resumed(
        tmp_path, cfg, replace(cfg, learning_rate=0.5)
    )
    record = resumed.run.record()
    losses = record["history"]["val_loss"]
    assert min(losses[2:]) > min(losses[:2])  # the premise: no better epoch came
    assert record["best_epoch"] == int(np.argmin(losses[:2]))
    best = first.run.path / "best.keras"
    assert val_loss_of(best, dataset, 16) == pytest.approx(
        losses[record["best_epoch"]], rel=1e-4
    )


def test_early_stopping_and_plateau_count_on_across_a_resume(tmp_path):
    cfg = TrainingConfig(
        epochs=6,
        batch_size=16,
        early_stopping=True,
        early_stopping_monitor="val_loss",
        patience=1,
        schedule="plateau",
        checkpoint_monitor="val_loss",
        backup_and_restore=False,
    )
    _, _, resumed = stopped_then_resumed(tmp_path, cfg, replace(cfg, learning_rate=0.5))
    losses = resumed.result.history["val_loss"]
    assert losses[1] < losses[0]  # the premise: epoch 2 was the best before the stop
    # The first resumed epoch is worse: with the wait carried over (patience 1)
    # that ends the run; a restarted count would have taken it as its new best.
    assert resumed.result.stop_reason.value == "early stopping"
    assert resumed.result.epochs_run == 3
    state = resumed.run.record()["callback_state"]
    assert state["early_stopping"]["best"] == pytest.approx(min(losses))
    assert state["early_stopping"]["wait"] == 1  # epochs since the best
    assert not state["early_stopping"]["restarted"]
    # ReduceLROnPlateau (patience 10) counts on the same way.
    assert state["plateau"]["best"] == pytest.approx(min(losses))
    assert state["plateau"]["wait"] == 1


class LearningRates(NullListener):
    """The optimizer's rate after the first step of every epoch: each part's,
    ``main`` and, with ``norm_lr_factor``, ``norm`` (the norm layers')."""

    def __init__(self, model, cancel=None) -> None:
        self.model, self.cancel, self.rates = model, cancel, {}

    def on_batch_end(self, epoch, batch, logs):
        if batch == 0:
            self.rates[epoch] = {
                "norm" if part.name == NORM_OPTIMIZER else "main": float(
                    part.learning_rate
                )
                for part in optimizer_parts(self.model.optimizer)
            }
        if self.cancel is not None and epoch == 2:
            self.cancel.set()


# A model with a norm layer, for a rate of its own.
BN_SPEC = replace(
    SPEC,
    layers=(
        *SPEC.layers[:2],
        LayerSpec.create("BatchNormalization", "bn_1"),
        SPEC.layers[2],
    ),
)
SCHEDULES = {  # the first epoch climbs, the next three decay
    "cosine": (SPEC, TrainingConfig(schedule="cosine", warmup=0.25)),
    "one_cycle, norm layers apart": (
        BN_SPEC,
        TrainingConfig(schedule="one_cycle", warmup=0.25, norm_lr_factor=8.0),
    ),
}


@pytest.mark.parametrize("schedule", SCHEDULES)
@pytest.mark.parametrize("backup", [True, False])
def test_a_resumed_schedule_continues_where_it_was(tmp_path, backup, schedule):
    spec, cfg = SCHEDULES[schedule]
    cfg = replace(cfg, epochs=4, checkpoint=False, backup_and_restore=backup)
    keras.utils.set_random_seed(0)
    whole = build_model(spec)
    uninterrupted = LearningRates(whole)
    train(whole, data(), None, cfg, uninterrupted)

    keras.utils.set_random_seed(0)
    model, cancel = build_model(spec), threading.Event()
    first = train(
        model, data(), None, cfg, LearningRates(model, cancel), cancel, tmp_path
    )
    assert first.epochs_run == 2
    again = build_model(spec)
    if not backup:  # as the session does: the weights of the last model
        again.load_weights(tmp_path / "last.keras")
    resumed = LearningRates(again)
    train(again, data(), None, cfg, resumed, run_dir=tmp_path, initial_epoch=2)
    assert sorted(resumed.rates) == [2, 3]
    for epoch in (2, 3):  # every part of a MultiOptimizer goes on where it was
        rates = resumed.rates[epoch]
        assert rates == pytest.approx(uninterrupted.rates[epoch], rel=1e-6)
        if "norm" in rates:
            assert rates["norm"] == pytest.approx(8 * rates["main"])
