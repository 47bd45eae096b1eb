"""train(): what ran is what the result says, whatever ended the run."""

from __future__ import annotations

import threading
import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf

from core.model_builder import build_model
from core.spec import HeadSpec, InputSpec, LayerSpec, ModelSpec
from core.training.config import TrainingConfig
from core.training.engine import train
from core.training.evaluation import evaluate
from core.training.events import NullListener, StopReason

SPEC = ModelSpec(
    InputSpec(8, 8, 3),
    (
        LayerSpec.create("Rescaling", "rescaling_1"),
        LayerSpec.create("Conv2D", "conv2d_1", {"filters": 4}),
        LayerSpec.create("GlobalAveragePooling2D", "gap_1"),
    ),
    HeadSpec(3),
)


def data(n=96, seed=0, nan=False):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 3
    x = rng.uniform(0, 255, (n, 8, 8, 3)).astype("float32")
    x[..., 0] += y[:, None, None] * 40  # learnable
    if nan:
        x[:] = np.nan
    return tf.data.Dataset.from_tensor_slices((x, y)).batch(16)


class Recorder(NullListener):
    def __init__(self, cancel_at_batch=None, cancel=None):
        self.events = []
        self.cancel_at_batch, self.cancel = cancel_at_batch, cancel

    def on_train_begin(self, total_epochs, steps_per_epoch):
        self.events.append(("begin", total_epochs, steps_per_epoch))

    def on_batch_end(self, epoch, batch, logs):
        self.events.append(("batch", epoch, batch))
        if self.cancel_at_batch is not None and batch >= self.cancel_at_batch:
            self.cancel.set()

    def on_epoch_end(self, epoch, logs):
        self.events.append(("epoch", epoch, sorted(logs)))


@pytest.fixture(autouse=True)
def _seed():
    keras.utils.set_random_seed(0)


def test_completed_run_records_history_and_models(tmp_path):
    rec = Recorder()
    result = train(
        build_model(SPEC),
        data(),
        data(48, 1),
        TrainingConfig(epochs=2),
        rec,
        run_dir=tmp_path,
    )
    assert result.stop_reason is StopReason.COMPLETED
    assert result.epochs_run == 2
    assert set(result.history) >= {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert rec.events[0] == ("begin", 2, 6)
    assert [e[1] for e in rec.events if e[0] == "epoch"] == [0, 1]
    assert keras.models.load_model(result.best_path).count_params() == 127
    assert keras.models.load_model(result.last_path) is not None
    assert (tmp_path / "history.csv").read_text().count("\n") == 3
    assert result.device == "CPU"


def test_cancel_mid_epoch_stops_after_the_batch_without_validation(tmp_path):
    cancel = threading.Event()
    rec = Recorder(cancel_at_batch=0, cancel=cancel)  # batch logs are rate-limited
    cfg = TrainingConfig(epochs=5, early_stopping=True)
    result = train(build_model(SPEC), data(), data(48, 1), cfg, rec, cancel, tmp_path)
    assert result.cancelled
    assert result.epochs_run == 0  # the partial epoch is not judged or recorded
    assert not any(e[0] == "epoch" for e in rec.events)
    assert [e[:2] for e in rec.events if e[0] == "batch"] == [("batch", 0)]
    assert result.best_path is None


def test_early_stopping_says_why(tmp_path):
    cfg = TrainingConfig(epochs=30, early_stopping=True, patience=0, learning_rate=1e-9)
    result = train(build_model(SPEC), data(), data(48, 1), cfg, run_dir=tmp_path)
    assert result.stop_reason is StopReason.EARLY_STOPPING
    assert result.epochs_run < 30
    assert "no improvement in val_loss" in result.message


def test_nan_loss_ends_the_run_as_diverged():
    # TF's CPU ReLU maps NaN to 0, so a linear convolution lets the NaN through.
    conv = SPEC.layers[1].with_options(activation="linear")
    linear = ModelSpec(SPEC.input, (SPEC.layers[0], conv, SPEC.layers[2]), SPEC.head)
    result = train(build_model(linear), data(nan=True), None, TrainingConfig(epochs=3))
    assert result.stop_reason is StopReason.DIVERGED
    assert "epoch 1, batch 1" in result.message
    assert "lower learning rate" in result.message


def test_resume_continues_from_the_last_completed_epoch(tmp_path):
    cancel = threading.Event()

    class CancelInSecondEpoch(Recorder):
        def on_batch_end(self, epoch, batch, logs):
            super().on_batch_end(epoch, batch, logs)
            if epoch == 1:
                cancel.set()

    model = build_model(SPEC)
    first = train(
        model,
        data(),
        None,
        TrainingConfig(epochs=4),
        CancelInSecondEpoch(),
        cancel,
        tmp_path,
    )
    assert first.cancelled
    assert first.epochs_run == 1
    rec = Recorder()
    second = train(
        build_model(SPEC), data(), None, TrainingConfig(epochs=4), rec, run_dir=tmp_path
    )
    assert [e[1] for e in rec.events if e[0] == "epoch"] == [1, 2, 3]
    assert second.stop_reason is StopReason.COMPLETED


def test_invalid_config_is_refused_before_training():
    with pytest.raises(Exception, match="learning_rate"):
        train(build_model(SPEC), data(), None, TrainingConfig(learning_rate=0))


def test_out_of_memory_ends_the_run_with_advice_and_keeps_the_history(
    tmp_path, monkeypatch
):
    class RunOutOfMemory(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if self.model.optimizer.iterations.numpy() > 7:  # in the second epoch
                raise tf.errors.ResourceExhaustedError(
                    None, None, "OOM when allocating"
                )

    model = build_model(SPEC)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    import core.training.engine as engine

    original = engine._callbacks

    def with_oom(*args, **kwargs):
        callbacks, best = original(*args, **kwargs)
        return [*callbacks, RunOutOfMemory()], best

    monkeypatch.setattr(engine, "_callbacks", with_oom)
    result = train(model, data(), None, TrainingConfig(epochs=3), run_dir=tmp_path)
    assert result.stop_reason is StopReason.FAILED
    assert "out of memory at epoch 2" in result.message
    assert "smaller batch size" in result.message
    assert result.epochs_run == 1
    assert (tmp_path / "last.keras").exists()


def test_plateau_schedule_and_tensorboard_logs_in_the_run_folder(tmp_path):
    cfg = TrainingConfig(epochs=2, schedule="plateau", tensorboard=True)
    model = build_model(SPEC)
    result = train(model, data(), data(48, 1), cfg, run_dir=tmp_path)
    assert result.epochs_run == 2
    from core.training.engine import _callbacks

    callbacks, _ = _callbacks(cfg, tmp_path / "again", True, 0)
    [plateau] = [
        c for c in callbacks if isinstance(c, keras.callbacks.ReduceLROnPlateau)
    ]
    assert plateau.monitor == "val_loss"
    events = list((tmp_path / "tensorboard").rglob("events.out.tfevents.*"))
    assert {p.parent.name for p in events} >= {"train", "validation"}


def test_class_weights_reach_fit(monkeypatch):
    seen = {}
    model = build_model(SPEC)
    fit = model.fit

    def spy(*args, **kwargs):
        seen["class_weight"] = kwargs.get("class_weight")
        return fit(*args, **kwargs)

    monkeypatch.setattr(model, "fit", spy)
    weights = {0: 0.5, 1: 1.0, 2: 2.0}
    train(model, data(), None, TrainingConfig(epochs=1), class_weight=weights)
    assert seen["class_weight"] == weights


def test_cancel_during_the_validation_pass_does_not_judge_that_epoch(
    tmp_path, monkeypatch
):
    cancel = threading.Event()

    class CancelInValidation(keras.callbacks.Callback):
        def on_test_batch_begin(self, batch, logs=None):
            cancel.set()

    import core.training.engine as engine

    rec = Recorder()
    cfg = TrainingConfig(epochs=3, early_stopping=True)
    model = build_model(SPEC)
    original = engine._callbacks

    def with_cancel(*args, **kwargs):
        callbacks, best = original(*args, **kwargs)
        return [*callbacks, CancelInValidation()], best

    monkeypatch.setattr(engine, "_callbacks", with_cancel)
    result = train(model, data(), data(48, 1), cfg, rec, cancel, tmp_path)
    assert result.cancelled
    assert result.epochs_run == 0
    assert not any(e[0] == "epoch" for e in rec.events)
    assert result.best_path is None  # the checkpoint never judged the epoch


def test_data_of_unknown_length_trains_and_evaluates_without_keras_warning():
    """A folder dataset skips undecodable files, so TensorFlow cannot count its
    batches; Keras 3.15 then warns "ran out of data" at the end of every first
    pass although nothing went wrong, and the warning reached the console."""
    unknown = data().filter(lambda x, y: True)
    assert unknown.cardinality() == tf.data.UNKNOWN_CARDINALITY
    model = build_model(SPEC)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = train(model, unknown, unknown, TrainingConfig(epochs=2))
        evaluate(model, unknown, ["a", "b", "c"])
    assert result.epochs_run == 2
    assert not [w for w in caught if "ran out of data" in str(w.message)]
