"""Pre-training estimates: memory from the summary, time from a few batches."""

from __future__ import annotations

import dataclasses

import keras

from core.data.load import open_dataset
from core.data.pipeline import make_tf_dataset
from core.data.spec import DatasetSpec
from core.model_builder import build_model
from core.presets import preset
from core.training.estimate import estimate_memory, seconds_per_epoch


def test_memory_parts_add_up_and_advice_when_too_big():
    data = open_dataset(DatasetSpec(name="shapes", count=60))
    spec = preset("shapes-starter")
    est = estimate_memory(spec, data, batch_size=32)
    assert est.cached_data == 60 * 64 * 64 * 3
    assert est.weights == 171_494 * 4
    assert est.optimizer == 171_494 * 4 * 2  # Adam: two slots per weight
    assert est.activations > 0
    assert est.fits
    assert "data" in est.describe()
    tight = dataclasses.replace(est, available=est.total)
    assert not tight.fits
    assert "smaller" in tight.advice()


def test_time_per_epoch_leaves_the_model_untouched():
    data = open_dataset(DatasetSpec(name="shapes", count=60))
    model = build_model(preset("shapes-starter"))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    before = [w.copy() for w in model.get_weights()]
    batches = make_tf_dataset(data, "train", (64, 64), 3, 8)
    seconds = seconds_per_epoch(model, batches, steps_per_epoch=6, probe=2)
    assert seconds > 0
    after = model.get_weights()
    assert all((a == b).all() for a, b in zip(before, after, strict=True))
    assert isinstance(model.optimizer, keras.optimizers.Adam)
