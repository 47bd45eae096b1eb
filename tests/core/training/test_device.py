"""Device selection on this CPU-only machine (GPU paths are unverified here)."""

from __future__ import annotations

import keras

from core.model_builder import build_model
from core.presets import preset
from core.training.device import configure


def test_cpu_device_and_refused_mixed_precision():
    device = configure(False)
    assert device.description == "CPU"
    assert device.gpus == 0
    asked = configure(True)
    assert not asked.mixed_precision
    assert "mixed precision needs a GPU" in asked.description
    assert keras.mixed_precision.global_policy().name == "float32"


def test_float32_head_under_mixed_policy():
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        model = build_model(preset("mnist-convnet"), float32_output=True)
        assert model.get_layer("classifier").dtype_policy.compute_dtype == "float32"
        assert model.get_layer("conv2d_1").dtype_policy.compute_dtype == "float16"
    finally:
        keras.mixed_precision.set_global_policy("float32")
