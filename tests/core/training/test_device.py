"""Device selection on this CPU-only machine (GPU paths are unverified here)."""

from __future__ import annotations

import keras
import pytest

from core.errors import WorkbenchError
from core.model_builder import build_model
from core.presets import preset
from core.recipe import precision
from core.training.device import configure


def test_cpu_device_and_mixed_float16_falling_back_to_float32():
    device = configure("float32")
    assert device.description == "CPU"
    assert device.gpus == 0
    assert (device.policy, device.mixed) == ("float32", False)
    asked = configure("mixed_float16")
    assert (asked.policy, asked.mixed) == ("float32", False)
    assert "mixed_float16 needs a GPU: using float32" in asked.description
    assert keras.mixed_precision.global_policy().name == "float32"


def test_mixed_bfloat16_is_refused_on_a_cpu_without_bfloat16(monkeypatch):
    monkeypatch.setattr(precision, "cpu_flags", lambda: frozenset({"avx2", "fma"}))
    with pytest.raises(WorkbenchError, match="avx512_bf16 or amx_bf16"):
        configure("mixed_bfloat16")
    assert keras.mixed_precision.global_policy().name == "float32"


def test_float32_head_under_mixed_policy():
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        model = build_model(preset("mnist-convnet"), float32_output=True)
        assert model.get_layer("classifier").dtype_policy.compute_dtype == "float32"
        assert model.get_layer("conv2d_1").dtype_policy.compute_dtype == "float16"
    finally:
        keras.mixed_precision.set_global_policy("float32")
