"""``python -m core presets`` lists every preset's total without TensorFlow."""

from __future__ import annotations

import math

from core.cli import main
from core.model_builder import build_model
from core.presets import all_presets
from tests.test_architecture import loaded_after


def test_presets_on_a_fresh_data_folder_imports_no_tensorflow(tmp_path, monkeypatch):
    """A fresh data folder has no cached backbone table to count VGG16 from."""
    monkeypatch.setenv("CNN_WORKBENCH_DATA_DIR", str(tmp_path / "data"))
    loaded = loaded_after("from core.cli import main\nassert main(['presets']) == 0")
    assert "tensorflow" not in loaded
    assert "keras" not in loaded


def test_presets_lists_every_preset_with_its_total(capsys):
    assert main(["presets"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(all_presets())
    vgg = next(line for line in lines if line.startswith("vgg16-cifar10-transfer"))
    assert "14,916,426 params" in vgg


def test_shipped_totals_are_keras_totals():
    """Backbone presets carry their totals; Keras must count the same."""
    shipped = [p for p in all_presets().values() if p.totals is not None]
    backbone = [p for p in all_presets().values() if p.spec.backbone is not None]
    assert backbone
    assert {p.name for p in backbone} <= {p.name for p in shipped}
    for p in shipped:
        spec = p.spec
        if spec.backbone is not None:  # tests never download ImageNet weights
            spec = spec.with_backbone_options(weights="none")
        model = build_model(spec)
        trainable = sum(math.prod(w.shape) for w in model.trainable_weights)
        assert (p.totals.total, p.totals.trainable) == (
            model.count_params(),
            trainable,
        ), p.name
