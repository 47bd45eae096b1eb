"""Faults while a run writes its models: a full disk, a loss that becomes NaN.

A full disk is simulated by a save that writes part of the file and then
raises ENOSPC (CI runs as root, so permissions cannot make one).
"""

from __future__ import annotations

import errno

import keras
import numpy as np
import tensorflow as tf

from core.data.load import open_dataset
from core.data.spec import DatasetSpec
from core.model_builder import build_model
from core.runs import RunStore
from core.spec import ModelSpec
from core.training.config import TrainingConfig
from core.training.engine import train
from core.training.events import StopReason
from core.training.session import run_session
from tests.core.training.test_engine import SPEC
from tests.core.training.test_session import small_spec


def test_a_full_disk_while_checkpointing_ends_the_run_and_keeps_the_last_good_model(
    tmp_path, monkeypatch
):
    real_save = keras.Model.save
    saved: list[bytes] = []

    def save_until_the_disk_is_full(self, filepath, *args, **kwargs):
        if not saved:
            real_save(self, filepath, *args, **kwargs)
            with open(filepath, "rb") as f:
                saved.append(f.read())
            return
        with open(filepath, "wb") as f:  # half a file, then the disk is full
            f.write(saved[0][:100])
        raise OSError(errno.ENOSPC, "No space left on device", str(filepath))

    monkeypatch.setattr(keras.Model, "save", save_until_the_disk_is_full)
    keras.utils.set_random_seed(0)
    dataset = open_dataset(DatasetSpec(name="shapes", count=60))
    store = RunStore(tmp_path / "runs")
    # The training loss improves every epoch, so epoch 2 saves a new best.
    cfg = TrainingConfig(epochs=3, batch_size=16, checkpoint_monitor="loss")
    out = run_session(small_spec(6), dataset=dataset, cfg=cfg, store=store)
    assert out.result.stop_reason is StopReason.FAILED
    assert "best.keras" in out.result.message
    assert "No space left on device" in out.result.message
    assert out.result.epochs_run == 1  # epoch 2 is not counted: its model is not kept
    record = out.run.record()
    assert record["stop_reason"] == "failed"
    assert record["best_epoch"] == 0
    best = out.run.path / "best.keras"
    monkeypatch.undo()
    assert keras.models.load_model(best).count_params() > 0
    leftovers = [p.name for p in out.run.path.iterdir() if p.name.startswith(".")]
    assert leftovers == []  # no temporary files left behind


def test_a_nan_loss_stops_the_run_and_keeps_the_last_finite_model(tmp_path):
    # TF's CPU ReLU maps NaN to 0, so a linear convolution lets the NaN through.
    conv = SPEC.layers[1].with_options(activation="linear")
    spec = ModelSpec(SPEC.input, (SPEC.layers[0], conv, SPEC.layers[2]), SPEC.head)
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 255, (48, 8, 8, 3)).astype("float32")
    y = np.arange(48) % 3
    passes = []

    def batches():  # finite in epoch 1, NaN from epoch 2 on
        passes.append(1)
        for i in range(0, 48, 16):
            images = x[i : i + 16] if len(passes) == 1 else np.full_like(x[:16], np.nan)
            yield images, y[i : i + 16]

    signature = (
        tf.TensorSpec((None, 8, 8, 3), tf.float32),
        tf.TensorSpec((None,), tf.int64),
    )
    ds = tf.data.Dataset.from_generator(batches, output_signature=signature)
    ds = ds.apply(tf.data.experimental.assert_cardinality(3))
    cfg = TrainingConfig(epochs=4, checkpoint_monitor="loss")
    result = train(build_model(spec), ds, None, cfg, run_dir=tmp_path)
    assert result.stop_reason is StopReason.DIVERGED
    assert "epoch 2" in result.message
    assert result.epochs_run == 1
    for name in ("best.keras", "last.keras"):
        path = tmp_path / name
        if path.exists():  # the last model may be left out, never NaN
            weights = keras.models.load_model(path).get_weights()
            assert all(np.isfinite(w).all() for w in weights), name
    assert result.best_path is not None


def test_a_full_disk_while_logging_the_history_ends_the_run_with_a_message(
    tmp_path, monkeypatch
):
    from tests.core.training.test_engine import data

    def disk_full(self, epoch, logs=None):
        raise OSError(errno.ENOSPC, "No space left on device", "history.csv")

    monkeypatch.setattr(keras.callbacks.CSVLogger, "on_epoch_end", disk_full)
    cfg = TrainingConfig(epochs=2, checkpoint_monitor="loss")
    result = train(build_model(SPEC), data(), None, cfg, run_dir=tmp_path)
    assert result.stop_reason is StopReason.FAILED
    assert "could not write to the run folder after epoch 1" in result.message
    assert "No space left on device" in result.message
    # The epoch's best model was written before the log failed: it is kept.
    assert keras.models.load_model(tmp_path / "best.keras").count_params() > 0
