"""bench/ablation.py removes each of cifar10-fast's techniques, GELU included."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import ablation

from core.presets import named_preset


def test_each_variant_differs_from_the_full_recipe_in_its_technique_alone():
    project = named_preset("cifar10-fast").project()
    variants = dict(ablation.variants(project))
    assert variants.pop("full recipe") is project
    removed = variants["label_smoothing: 0.2 -> 0.0"].training
    assert removed == replace(project.training, label_smoothing=0.0)
    gelu = next(v for label, v in variants.items() if label.startswith("GELU"))
    activations = [layer.config.get("activation") for layer in gelu.model.layers]
    assert "gelu" not in activations
    assert activations.count("relu") == 7  # the preset's seven GELU layers
    assert gelu.training == project.training
    kept = [layer.name for layer in gelu.model.layers]
    assert kept == [layer.name for layer in project.model.layers]
