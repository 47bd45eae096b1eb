"""Pre-training estimates: memory from the summary, time from a few batches."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import keras

from core.data.load import open_dataset
from core.data.pipeline import make_tf_dataset
from core.data.spec import DatasetSpec
from core.model_builder import build_model
from core.presets import named_preset, preset
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


def test_time_per_epoch_counts_the_validation_pass():
    data = open_dataset(DatasetSpec(name="shapes", count=60))
    model = build_model(preset("shapes-starter"))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    batches = make_tf_dataset(data, "train", (64, 64), 3, 8)
    validation = make_tf_dataset(data, "validation", (64, 64), 3, 8)
    alone = seconds_per_epoch(model, batches, steps_per_epoch=6, probe=2)
    # A validation pass of 10,000 steps dwarfs six training steps.
    with_val = seconds_per_epoch(
        model, batches, 6, probe=2, validation=validation, validation_steps=10_000
    )
    assert with_val > 10 * alone


def test_the_cache_counts_only_when_the_pipeline_would_build_it():
    data = open_dataset(DatasetSpec(name="shapes", count=60))
    spec = preset("shapes-starter")
    cached = estimate_memory(spec, data, batch_size=32, cache=True)
    streamed = estimate_memory(spec, data, batch_size=32, cache=False)
    assert cached.cached_data == 60 * 64 * 64 * 3
    assert streamed.cached_data == 0
    assert streamed.total == cached.total - cached.cached_data
    big_data = dataclasses.replace(cached, cached_data=1 << 30, available=1 << 30)
    assert "Cache images in memory" in big_data.advice()


def test_a_gpu_too_small_for_weights_and_activations_is_named_with_advice():
    data = open_dataset(DatasetSpec(name="shapes", count=60))
    spec = preset("shapes-starter")
    roomy = estimate_memory(spec, data, batch_size=32, gpu_available=8 << 30)
    assert roomy.fits
    small = estimate_memory(spec, data, 32, gpu_available=roomy.on_device // 2)
    assert small.fits_ram
    assert not small.fits
    assert "GPU" in small.advice()
    assert "smaller batch size" in small.advice()
    assert "Cache" not in small.advice()  # the cache stays in host RAM


def test_a_fast_preset_at_batch_1024_does_not_surprise_a_small_laptop():
    """cifar10-fast (256-channel layers, batch 1024, weight averaging) peaked
    at 3.78 GB RSS on 2026-12-07 (docs/benchmarks.md): the estimate covers it
    and warns a 4 GB laptop to use a smaller batch (a warning: at 4.2 GB it
    is not beyond 4 GiB)."""
    project = named_preset("cifar10-fast").project()
    cfg = project.training
    splits = {"train": range(47_500), "validation": range(2_500), "test": range(10_000)}
    data = SimpleNamespace(splits=splits)
    est = estimate_memory(project.model, data, cfg.batch_size, "sgd", averaged=True)
    plain = estimate_memory(project.model, data, cfg.batch_size, "sgd")
    assert est.optimizer == 2 * plain.optimizer  # SGD's momentum, and the average
    assert est.activations > est.total / 2  # the batch dominates
    assert 3.78e9 <= est.total <= 5e9
    assert "TensorFlow and Python" in est.describe()
    laptop = dataclasses.replace(est, available=3 << 30, installed=4 << 30)
    assert not laptop.fits
    assert "use a smaller batch size" in laptop.advice()
