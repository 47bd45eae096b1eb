"""Augmentation: transforms act when on, and never when off or at inference."""

from __future__ import annotations

import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from core.augmentation.config import PRESETS, AugmentationConfig
from core.augmentation.pipeline import augment_dataset, build_augmenter, preview
from core.data.shapes import generate
from core.errors import ProjectFormatError

IMAGE = generate(1, seed=5, size=32)[0][0]
ON = {
    "flip": {"flip": "both"},
    "rotation": {"rotation": 30},
    "zoom": {"zoom": 0.3},
    "shear": {"shear": 20},
    "width_shift": {"width_shift": 0.2},
    "height_shift": {"height_shift": 0.2},
    "brightness": {"brightness": 0.3},
    "contrast": {"contrast": 0.5},
    "crop": {"crop": 0.4},
    "noise": {"noise": 10},
}


@pytest.mark.parametrize("name", sorted(ON))
def test_each_transform_changes_images_when_on_only(name):
    cfg = AugmentationConfig(**ON[name])
    out = preview(IMAGE, cfg, 8, seed=1)
    assert out.shape == (8, 32, 32, 3)
    assert out.dtype == np.uint8
    assert any(not np.array_equal(o, IMAGE) for o in out)
    off = preview(IMAGE, cfg.switched(name, False), 4, seed=1)
    assert all(np.array_equal(o, IMAGE) for o in off)
    assert cfg.switched(name, False).switched(name, True) == cfg


def test_preview_is_deterministic_for_a_seed():
    a = preview(IMAGE, PRESETS["strong"], 6, seed=3)
    b = preview(IMAGE, PRESETS["strong"], 6, seed=3)
    c = preview(IMAGE, PRESETS["strong"], 6, seed=4)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_identity_at_inference_inside_a_model():
    augmenter = build_augmenter(PRESETS["strong"], seed=1)
    x = IMAGE[None].astype("float32")
    assert np.array_equal(augmenter(x, training=False).numpy(), x)
    assert not np.array_equal(augmenter(x, training=True).numpy(), x)
    model = keras.Sequential([keras.Input((32, 32, 3)), augmenter])
    assert np.array_equal(model.predict(x, verbose=0), x)


def test_pipeline_shapes_and_mixing_labels():
    images, labels = generate(64, seed=1, size=32)
    batches = tf.data.Dataset.from_tensor_slices((images, labels)).batch(16)
    out = list(augment_dataset(batches, PRESETS["light"], 6, seed=2, batch_size=16))
    assert [tuple(x.shape) for x, _ in out] == [(16, 32, 32, 3)] * 4
    assert out[0][0].dtype == tf.float32
    assert np.array_equal(np.concatenate([y.numpy() for _, y in out]), labels)
    mixing = AugmentationConfig(mixup=0.4, cutmix=1.0)
    assert mixing.needs_one_hot
    x, y = next(iter(augment_dataset(batches, mixing, 6, seed=2)))
    assert y.shape == (16, 6)
    assert np.allclose(y.numpy().sum(axis=1), 1.0)
    assert (y.numpy().max(axis=1) < 1).any()  # some labels really are mixed
    assert not np.array_equal(x.numpy(), images[:16].astype("float32"))


def test_mixing_preview_uses_the_pool():
    pool = generate(4, seed=9, size=32)[0]
    out = preview(IMAGE, AugmentationConfig(mixup=1.0), 4, seed=1, pool=pool)
    assert not np.array_equal(out[0], IMAGE)


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"zoom": 1.0}, "zoom: 1 is out of range"),
        ({"width_shift": 1.5}, "width_shift: 1.5 is out of range"),
        ({"rotation": -5}, "rotation: -5 is out of range"),
        ({"flip": "sideways"}, "flip: must be one of"),
        ({"fill_mode": "mirror"}, "fill_mode: must be one of"),
    ],
)
def test_out_of_range_settings_are_refused(change, fragment):
    with pytest.raises(ValueError, match=fragment):
        AugmentationConfig(**change)


def test_project_round_trip_and_bad_field():
    cfg = PRESETS["strong"].switched("noise", False)
    assert AugmentationConfig.from_dict(cfg.to_dict()) == cfg
    data = cfg.to_dict() | {"zoom": 2}
    with pytest.raises(ProjectFormatError) as info:
        AugmentationConfig.from_dict(data)
    assert info.value.field == "augmentation.zoom"
    with pytest.raises(ProjectFormatError) as info:
        AugmentationConfig.from_dict(cfg.to_dict() | {"swirl": 1})
    assert info.value.field == "augmentation.swirl"


def test_config_import_is_light():
    code = "import core.augmentation.config, sys; print('tensorflow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "False"


def test_exported_model_never_contains_the_augmenter(tmp_path):
    """Training may wrap the model with the augmenter; the file is the spec's model."""
    from core.model_builder import build_model
    from core.presets import preset

    model = build_model(preset("mnist-convnet"))
    training = keras.Sequential([build_augmenter(PRESETS["strong"]), model])
    training(np.zeros((1, 28, 28, 1), "float32"), training=True)
    path = tmp_path / "digits.keras"
    model.save(path)
    loaded = keras.models.load_model(path)  # plain Keras, no custom objects
    assert "random_augment" not in [layer.name for layer in loaded.layers]
    assert loaded.count_params() == 93_322
