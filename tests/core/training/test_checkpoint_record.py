"""best.keras says what it holds; a resume believes it over a stale run.json."""

from __future__ import annotations

import keras

from core.training.checkpoint import ResumeState, checkpoint_record, save_model


def tiny() -> keras.Model:
    inputs = keras.Input((4, 4, 3))
    outputs = keras.layers.Dense(2, activation="softmax")(
        keras.layers.Flatten()(inputs)
    )
    return keras.Model(inputs, outputs)


STALE = {"best_value": 0.9, "best_epoch": 1}  # run.json after a kill


def test_the_checkpoints_own_record_wins_over_run_json(tmp_path):
    path = tmp_path / "best.keras"
    record = {"monitor": "val_loss", "value": 0.5, "epoch": 3}
    save_model(tiny(), path, ["a", "b"], record)
    assert checkpoint_record(path) == record
    assert keras.models.load_model(path).count_params() == 98  # still a plain model
    state = ResumeState.from_record(STALE, {}, "val_loss", path)
    assert (state.best_value, state.best_epoch) == (0.5, 3)


def test_a_checkpoint_of_an_earlier_version_falls_back_to_run_json(tmp_path):
    path = tmp_path / "best.keras"
    save_model(tiny(), path, ["a", "b"])  # no record inside, as before
    assert checkpoint_record(path) is None
    state = ResumeState.from_record(STALE, {}, "val_loss", path)
    assert (state.best_value, state.best_epoch) == (0.9, 1)
    damaged = tmp_path / "damaged.keras"
    damaged.write_bytes(b"PK\x03\x04 cut short")
    state = ResumeState.from_record(STALE, {}, "val_loss", damaged)
    assert (state.best_value, state.best_epoch) == (0.9, 1)
