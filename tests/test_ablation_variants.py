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


def test_keep_done_reports_the_runs_the_json_holds_and_trains_the_rest(
    tmp_path, monkeypatch, capsys
):
    # A session that ends mid-ablation is resumed: what ran is not run again.
    project = named_preset("cifar10-fast").project()
    labels = [label for label, _ in ablation.variants(project)]
    path = tmp_path / "ablation.json"

    def record(label: str, accuracy: float, epochs: int = 2) -> dict:
        return {
            "removed": label,
            "epochs": epochs,
            "exit": 0,
            "test_accuracy": accuracy,
            "wall_seconds": 60.0,
            "load": [0.1, 0.1, 0.1],
            "idle": True,
        }

    ablation.fast.append_record(path, record("full recipe", 70.0))
    ablation.fast.append_record(path, record(labels[1], 60.0, epochs=4))
    trained = []

    def run_seed(name, variant, seed, folder, load, extra):
        trained.append(name)
        return record("?", 65.0)

    monkeypatch.setattr(ablation.fast, "run_seed", run_seed)
    args = ablation.argparse.Namespace(
        epochs=2,
        only=[labels[1]],
        json=path,
        keep_done=True,
        idle_wait=0,
        allow_busy=True,
    )
    assert ablation.run(args, project) == 0
    assert trained == ["ablation1"]  # the 4-epoch run is another schedule
    table = capsys.readouterr().out
    assert "| full recipe | 70.00% | +0.00 |" in table
    assert f"| {labels[1]} | 65.00% | -5.00 |" in table
