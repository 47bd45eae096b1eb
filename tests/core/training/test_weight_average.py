"""Weight averaging (EMA): the average is validated, kept and tested, however a
run ends.

A small model with BatchNormalization on generated images that are not
shuffled, so a resumed run can be compared with an uninterrupted one.
"""

from __future__ import annotations

import threading
from dataclasses import replace

import keras
import numpy as np
import pytest
import tensorflow as tf

from core.data.load import open_dataset
from core.data.spec import DatasetSpec
from core.errors import WorkbenchError
from core.presets import preset
from core.recipe.optimizers import make_optimizer
from core.recipe.weight_average import AveragedWeights
from core.training.backup import RunBackup
from core.training.callbacks import (
    ListenerCallback,
    ResumableEarlyStopping,
    TrainingCancelled,
)
from core.training.checkpoint import BestCheckpoint
from core.training.compile import compile_for
from core.training.config import TrainingConfig
from core.training.engine import train
from core.training.estimate import estimate_memory
from core.training.events import NullListener, StopReason
from core.training.session import run_session

STEPS = 4  # batches an epoch
EMA = TrainingConfig(
    epochs=2, batch_size=16, ema=True, ema_momentum=0.9, learning_rate=0.05
)


def arrays(n: int = 64, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 3
    x = rng.uniform(0, 1, (n, 8, 8, 3)).astype("float32")
    x[..., 0] += y[:, None, None]  # learnable
    return x, y


def data(n: int = 64, seed: int = 0) -> tf.data.Dataset:
    return tf.data.Dataset.from_tensor_slices(arrays(n, seed)).batch(16)


def model_with_bn(frozen_conv: bool = False) -> keras.Model:
    keras.utils.set_random_seed(0)
    inputs = keras.Input((8, 8, 3))
    conv = keras.layers.Conv2D(4, 3, name="conv")
    conv.trainable = not frozen_conv
    x = keras.layers.BatchNormalization(name="bn")(conv(inputs))
    x = keras.layers.GlobalAveragePooling2D()(x)
    outputs = keras.layers.Dense(3, activation="softmax", name="dense")(x)
    return keras.Model(inputs, outputs)


def compiled(cfg: TrainingConfig, frozen_conv: bool = False) -> keras.Model:
    model = model_with_bn(frozen_conv)
    compile_for(model, cfg, STEPS)
    return model


def raw_weights_at_finalize(model: keras.Model) -> list[np.ndarray]:
    """Filled with the raw weights when the optimizer replaces them by the average."""
    raw: list[np.ndarray] = []
    optimizer = model.optimizer
    finalize = optimizer.finalize_variable_values

    def spy(var_list: list) -> None:
        raw[:] = [keras.ops.convert_to_numpy(v) for v in var_list]
        finalize(var_list)

    optimizer.finalize_variable_values = spy
    return raw


def averages(optimizer: keras.optimizers.Optimizer) -> dict[str, np.ndarray]:
    """The optimizer's average of each trainable variable, by its path."""
    return {
        v.path: keras.ops.convert_to_numpy(a)
        for v, a in zip(
            optimizer._trainable_variables,
            optimizer._model_variables_moving_average,
            strict=True,
        )
    }


def weights(model: keras.Model) -> dict[str, np.ndarray]:
    return {v.path: keras.ops.convert_to_numpy(v) for v in model.trainable_weights}


def assert_same(one: dict[str, np.ndarray], other: dict[str, np.ndarray]) -> None:
    assert one.keys() == other.keys()
    for path in one:
        np.testing.assert_allclose(one[path], other[path], atol=1e-6, err_msg=path)


def recorded_fit(seen: list) -> object:
    def fit(model: keras.Model, *args: object, **kwargs: object) -> object:
        seen.extend(kwargs["callbacks"])  # type: ignore[arg-type]
        return model.fit(*args, **kwargs)

    return fit


def val_loss(model: keras.Model, n: int = 32, seed: int = 1) -> float:
    x, y = arrays(n, seed)
    losses = keras.losses.sparse_categorical_crossentropy(
        y, model.predict(x, verbose=0)
    )
    return float(np.mean(losses))


def test_off_by_default_the_optimizer_and_callbacks_are_as_before(tmp_path):
    assert make_optimizer(TrainingConfig().to_dict(), STEPS).use_ema is False
    seen: list = []
    train(
        model_with_bn(),
        data(),
        data(32, 1),
        replace(EMA, ema=False, epochs=1),
        run_dir=tmp_path,
        fit=recorded_fit(seen),
    )
    assert [type(cb).__name__ for cb in seen] == [
        "BestCheckpoint",
        "ListenerCallback",
        "RunBackup",
        "CSVLogger",
    ]


def test_validation_and_the_kept_models_use_the_averaged_weights(tmp_path):
    cfg = replace(
        EMA,
        checkpoint_monitor="val_loss",
        early_stopping=True,
        restore_best_weights=False,
        patience=5,
    )
    model = compiled(cfg)
    raw = raw_weights_at_finalize(model)
    seen: list = []
    result = train(
        model, data(), data(32, 1), cfg, run_dir=tmp_path, fit=recorded_fit(seen)
    )
    assert result.stop_reason is StopReason.COMPLETED
    assert model.optimizer.use_ema
    assert model.optimizer.ema_momentum == 0.9
    # The swap comes first, the raw weights back after the callbacks that judge
    # and save the weights, before the backup.
    averaged = seen[0]
    assert isinstance(averaged, AveragedWeights)
    kinds = [type(cb) for cb in seen]
    back = seen.index(averaged.back)
    for judge in (BestCheckpoint, ListenerCallback, ResumableEarlyStopping):
        assert 0 < kinds.index(judge) < back
    assert back < kinds.index(RunBackup)
    # last.keras holds the average, which differs from the raw weights.
    last = keras.models.load_model(result.last_path)
    assert_same(weights(last), averages(model.optimizer))
    assert all(
        np.abs(ema - r).max() > 1e-4
        for ema, r in zip(weights(last).values(), raw, strict=True)
    )
    # Only trainable variables are averaged: BatchNorm's moving statistics are
    # the raw training's, the same in memory and in the file.
    assert len(averages(model.optimizer)) == len(model.trainable_weights)
    bn = model.get_layer("bn")
    np.testing.assert_array_equal(last.get_layer("bn").moving_mean, bn.moving_mean)
    np.testing.assert_array_equal(
        last.get_layer("bn").moving_variance, bn.moving_variance
    )
    # Each kept model scores what its epoch's validation recorded: validation
    # saw the weights (and statistics) that were kept.
    history = result.history["val_loss"]
    assert val_loss(last) == pytest.approx(history[-1], rel=1e-4)
    best = keras.models.load_model(result.best_path)
    assert val_loss(best) == pytest.approx(history[result.best_epoch], rel=1e-4)


class _StopAfterFirstEpoch(keras.callbacks.Callback):
    """Early stopping's move, after recording the weights it judged."""

    def __init__(self) -> None:
        super().__init__()
        self.judged: dict[str, np.ndarray] = {}

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.judged = weights(self.model)
        self.model.stop_training = True


def test_an_early_stop_keeps_the_averaged_weights():
    # Keras's own callback: fit's finalize copies the raw weights in (the trap).
    model = compiled(EMA)
    stopper = _StopAfterFirstEpoch()
    swap = keras.callbacks.SwapEMAWeights(swap_on_epoch=True)
    model.fit(data(), epochs=3, callbacks=[swap, stopper], verbose=0, shuffle=False)
    assert any(
        np.abs(stopper.judged[p] - w).max() > 1e-4 for p, w in weights(model).items()
    )
    model = compiled(EMA)
    averaged = AveragedWeights()
    averaged.seed(model)
    model.fit(
        data(), epochs=3, callbacks=averaged.placed([stopper]), verbose=0, shuffle=False
    )
    averaged.settle(model)
    assert_same(weights(model), stopper.judged)


class _CancelInValidation(keras.callbacks.Callback):
    def __init__(self) -> None:
        super().__init__()
        self.ema: dict[str, np.ndarray] = {}

    def on_test_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self.ema = weights(self.model)  # swapped in for validation
        raise TrainingCancelled


def test_a_stop_during_validation_leaves_the_average_in_model_and_optimizer():
    model = compiled(EMA)
    averaged = AveragedWeights()
    cancel = _CancelInValidation()
    averaged.seed(model)
    with pytest.raises(TrainingCancelled):
        model.fit(
            data(),
            validation_data=data(32, 1),
            epochs=2,
            callbacks=averaged.placed([cancel]),
            verbose=0,
            shuffle=False,  # a tf.data set: Keras warns that it ignores True
        )
    averaged.settle(model)  # fit's finalize was skipped
    assert_same(weights(model), cancel.ema)
    assert_same(averages(model.optimizer), cancel.ema)


class _CancelAfter(NullListener):
    def __init__(self, epoch: int, cancel: threading.Event) -> None:
        self.epoch, self.cancel = epoch, cancel

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        if epoch == self.epoch:
            self.cancel.set()


def test_a_stopped_then_resumed_run_ends_as_an_uninterrupted_one(tmp_path):
    cfg = replace(EMA, epochs=3)
    whole = train(compiled(cfg), data(), data(32, 1), cfg, run_dir=tmp_path / "a")
    # Stopped in epoch 3 (its first batch trained): the backup holds epoch 2.
    cancel = threading.Event()
    model = compiled(cfg)
    raw = raw_weights_at_finalize(model)
    stopped = train(
        model,
        data(),
        data(32, 1),
        cfg,
        _CancelAfter(1, cancel),
        cancel,
        run_dir=tmp_path / "b",
    )
    assert stopped.stop_reason is StopReason.CANCELLED
    kept = keras.models.load_model(stopped.last_path)
    assert_same(weights(kept), averages(model.optimizer))  # Stop skips finalize
    assert any(
        np.abs(w - r).max() > 1e-4
        for w, r in zip(weights(kept).values(), raw, strict=True)
    )
    resumed = train(compiled(cfg), data(), data(32, 1), cfg, run_dir=tmp_path / "b")
    assert resumed.epochs_run == 1
    assert_same(
        weights(keras.models.load_model(resumed.last_path)),
        weights(keras.models.load_model(whole.last_path)),
    )


def test_a_resume_without_a_backup_starts_the_average_at_the_weights():
    # Keras starts the average at the weights only at step 0: a zero average,
    # 4 steps at momentum 0.9, would keep a third of the weights' size.
    cfg = replace(EMA, backup_and_restore=False)
    model = compiled(cfg)
    raw = raw_weights_at_finalize(model)
    train(model, data(), None, cfg, initial_epoch=1)
    assert model.optimizer.iterations.numpy() == 2 * STEPS
    averaged = keras.ops.convert_to_numpy(model.get_layer("dense").kernel)
    assert np.linalg.norm(averaged) > 0.8 * np.linalg.norm(raw[-2])


def test_phase_two_restarts_the_average_from_phase_ones_averaged_weights():
    cfg = replace(EMA, epochs=1, fine_tune=True, fine_tune_epochs=1)
    model = compiled(cfg, frozen_conv=True)
    phase_one = model.optimizer
    seen: dict[str, np.ndarray] = {}

    class AtPhaseTwo(NullListener):
        def on_phase_begin(self, phase: int, epoch: int) -> None:
            if phase == 2:
                seen.update(weights(model))

    unfreeze = lambda: setattr(model.get_layer("conv"), "trainable", True)  # noqa: E731
    result = train(model, data(), None, cfg, AtPhaseTwo(), unfreeze=unfreeze)
    assert result.stop_reason is StopReason.COMPLETED
    phase_two = model.optimizer
    assert phase_two is not phase_one
    assert phase_two.use_ema
    first = averages(phase_one)
    assert_same({p: seen[p] for p in first}, first)  # phase 2 starts from the average
    assert "conv/kernel" in averages(phase_two)
    assert_same(weights(model), averages(phase_two))


def test_multi_worker_training_refuses_weight_averaging():
    with pytest.raises(WorkbenchError, match="multi-worker"):
        run_session(
            None,  # type: ignore[arg-type]
            dataset=None,  # type: ignore[arg-type]
            cfg=replace(EMA),
            strategy="multi-worker",
        )


def test_the_memory_estimate_counts_the_average():
    data = open_dataset(DatasetSpec(name="shapes", count=60))
    spec = preset("shapes-starter")
    plain = estimate_memory(spec, data, batch_size=32)
    averaged = estimate_memory(spec, data, batch_size=32, averaged=True)
    assert averaged.optimizer - plain.optimizer == 171_494 * 4  # one more copy


def test_after_a_nan_loss_the_best_model_is_an_average_that_validated(tmp_path):
    cfg = replace(EMA, checkpoint_monitor="val_loss")
    model = compiled(cfg)

    class BlowUpAfterFirstEpoch(NullListener):
        def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
            model.optimizer.learning_rate.assign(1e30)

    result = train(
        model, data(), data(32, 1), cfg, BlowUpAfterFirstEpoch(), run_dir=tmp_path
    )
    assert result.stop_reason is StopReason.DIVERGED
    assert result.last_path is None  # the weights are NaN: none written
    best = keras.models.load_model(result.best_path)
    assert val_loss(best) == pytest.approx(result.history["val_loss"][0], rel=1e-4)
