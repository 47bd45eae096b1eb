"""Presets carry whole recipes (issue 17): dataset, augmentation, training, model.

The full recipes take minutes to an hour (bench/reproduce.py); here each
strong preset trains one epoch on a few hundred images, as its recipe says
otherwise, and must build, train and save.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from core.data.load import open_dataset
from core.errors import ProjectFormatError, WorkbenchError
from core.model_files.loading import load_model_file
from core.presets import all_presets, named_preset, parse_preset, presets_dir
from core.project import Project
from core.runs import RunStore
from core.training.config import TrainingConfig
from core.training.job import Overrides, for_this_machine, fraction_of
from core.training.session import SessionResult, run_session

ROOT = Path(__file__).resolve().parents[2]
STRONG = ("fashion-mnist-strong", "mnist-strong", "cifar10-strong")


def version_one(name: str) -> dict:
    """A shipped preset as the first preset format wrote it: model and dataset name."""
    data = json.loads((presets_dir() / f"{name}.json").read_text(encoding="utf-8"))
    return {
        "format": data["format"],
        "name": data["name"],
        "title": data["title"],
        "description": data["description"],
        "dataset": data["dataset"]["name"],
        "model": data["model"],
    }


def test_a_version_one_preset_file_still_loads_with_default_settings():
    old = parse_preset(version_one("mnist-convnet"))
    project = old.project()
    assert project.model == named_preset("mnist-convnet").spec
    assert project.dataset is not None
    assert project.dataset.name == "mnist"
    assert project.training == TrainingConfig()
    assert all_presets()["shapes-starter"].version == 1  # still shipped as version 1


def test_a_preset_of_an_unknown_version_is_refused_by_field():
    data = {**version_one("mnist-convnet"), "version": 3}
    with pytest.raises(ProjectFormatError, match="version"):
        parse_preset(data)


def test_every_preset_round_trips_as_a_project():
    for p in all_presets().values():
        project = p.project()
        again = Project.from_dict(json.loads(json.dumps(project.to_dict())))
        assert again == project, p.name


def test_tutorial_presets_carry_their_tutorials_recipes():
    best = named_preset("fashion-mnist-best").project().training
    assert (best.epochs, best.batch_size, best.optimizer) == (30, 32, "adam")
    assert (best.early_stopping_monitor, best.patience) == ("val_loss", 4)
    assert not best.restore_best_weights  # Keras's default, as the tutorial ran
    assert best.checkpoint_monitor == "val_accuracy"
    mnist = named_preset("mnist-convnet").project()
    assert (mnist.training.optimizer, mnist.training.batch_size) == ("rmsprop", 64)
    assert mnist.dataset is not None
    assert mnist.dataset.validation_fraction == 0
    vgg = named_preset("fashion-mnist-vgg").project()
    assert vgg.dataset is not None
    assert vgg.dataset.validation_fraction == 0.25


def test_a_fraction_outside_zero_to_one_is_refused():
    project = named_preset("mnist-strong").project()
    with pytest.raises(WorkbenchError, match="--fraction"):
        for_this_machine(project, ROOT, Overrides(fraction=0))


def one_epoch_on_a_cut(name: str, datasets: Path, tmp_path: Path) -> SessionResult:
    """Train preset ``name`` one epoch, as its recipe says, on a few hundred
    images: 1% of a built-in set, or half of the 50-a-class CIFAR-10 JPEGs in
    ``datasets`` (not the 60,000 of the full set)."""
    project = named_preset(name).project()
    small = Overrides(epochs=1)
    cifar = name.startswith("cifar10")
    if cifar:
        small = replace(small, dataset=str(datasets / "cifar-10-jpg-small"))
    project = for_this_machine(project, ROOT, small)
    assert project.dataset is not None
    dataset = fraction_of(open_dataset(project.dataset), 0.5 if cifar else 0.01)
    assert 200 <= len(dataset.splits["train"]) <= 600
    return run_session(
        project.model,
        dataset=dataset,
        cfg=project.training,
        augmentation=project.augmentation,
        store=RunStore(tmp_path),
        label=name,
        data_spec=project.dataset,
    )


@pytest.mark.parametrize("name", ["fashion-mnist-strong", "cifar10-strong"])
def test_a_strong_preset_builds_trains_and_saves(name, shared_datasets, tmp_path):
    outcome = one_epoch_on_a_cut(name, shared_datasets, tmp_path)
    assert outcome.result.epochs_run == 1
    assert outcome.evaluation is not None
    assert outcome.run is not None
    saved = load_model_file(outcome.run.path / "last.keras")
    assert saved.count_params() == outcome.model.count_params()


def test_train_preset_trains_the_recipe_headless(shared_datasets, tmp_path):
    """``python -m core train --preset`` records the preset's own settings."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "CNN_WORKBENCH_DATASETS": str(shared_datasets),
    }
    command = [sys.executable, "-m", "core", "train", "--preset", "mnist-strong"]
    command += ["--epochs", "1", "--fraction", "0.005", "--run-dir", str(tmp_path)]
    done = subprocess.run(
        command, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert "test accuracy" in done.stdout
    (run,) = [p for p in tmp_path.iterdir() if (p / "config.json").is_file()]
    config = json.loads((run / "config.json").read_text(encoding="utf-8"))
    recipe = named_preset("mnist-strong").project()
    assert config["training"] == replace(recipe.training, epochs=1).to_dict()
    assert config["augmentation"] == recipe.augmentation.to_dict()
    assert config["dataset"]["spec"] == recipe.dataset.to_dict()
    assert (run / "best.keras").is_file()
    assert (run / "last.keras").is_file()


def test_no_bundled_preset_writes_the_retired_mixed_precision_switch():
    # Old files still load through the mapping (tests/compat keeps them); the
    # presets a user copies from name the setting that replaced it.
    for path in sorted(presets_dir().glob("*.json")):
        training = json.loads(path.read_text(encoding="utf-8")).get("training", {})
        assert "mixed_precision" not in training, path.name
        assert training.get("precision", "float32") == "float32", path.name
