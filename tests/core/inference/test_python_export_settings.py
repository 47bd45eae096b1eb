"""Export as Python handles every setting: changing any one changes the script.

A new field of TrainingConfig, AugmentationConfig or DatasetSpec fails here
until the exporter handles it and the tables below say how to change it (and,
for settings that only matter with others, in which context).
"""

from __future__ import annotations

import errno
import itertools
import os
import shutil
import subprocess
import sys
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import pytest

from core.augmentation.config import PRESETS, AugmentationConfig
from core.data.exclusions import Exclusions
from core.data.spec import DatasetSpec
from core.errors import WorkbenchError
from core.inference.python_export import RECIPE, python_script, write_script
from core.presets import starter_project
from core.training.config import TrainingConfig
from tests.core.training.test_two_phase import spec as backbone_spec

REPO = Path(__file__).resolve().parents[3]

# field: (values that must each change the script, the settings it needs)
TRAINING: dict[str, tuple[list[Any], dict[str, Any]]] = {
    "optimizer": (["sgd", "rmsprop", "adamw", "muon"], {}),
    "learning_rate": ([0.01], {}),
    "momentum": ([0.5], {"optimizer": "sgd"}),
    "nesterov": ([True], {"optimizer": "sgd"}),
    "sgd_weight_decay": ([0.01], {"optimizer": "sgd"}),
    "weight_decay": ([0.01], {"optimizer": "adamw"}),
    "schedule": (["plateau", "cosine", "linear", "one_cycle"], {}),
    "warmup": ([0.1], {"schedule": "cosine"}),
    "label_smoothing": ([0.1], {}),
    "norm_lr_factor": ([64.0], {}),
    "batch_size": ([16], {}),
    "epochs": ([3], {}),
    "seed": ([1], {}),
    "cache_data": ([False], {}),
    "class_weights": ([True], {}),
    "early_stopping": ([True], {}),
    "early_stopping_monitor": (
        ["val_accuracy", "loss", "accuracy"],
        {"early_stopping": True},
    ),
    "patience": ([5], {"early_stopping": True}),
    "restore_best_weights": ([False], {"early_stopping": True}),
    "checkpoint": ([False], {}),
    "checkpoint_monitor": (["val_loss", "loss", "accuracy"], {}),
    "backup_and_restore": ([False], {}),
    "csv_logger": ([False], {}),
    "tensorboard": ([True], {}),
    "precision": (["mixed_float16", "mixed_bfloat16"], {}),
    "jit_compile": ([True], {}),
    "ema": ([True], {}),
    "ema_momentum": ([0.999], {"ema": True}),
    "tta": (["flip", "flip_shifts"], {}),
    "fine_tune": ([True], {}),
    "fine_tune_epochs": ([2], {"fine_tune": True}),
    "fine_tune_lr_factor": ([0.5], {"fine_tune": True}),
    "fine_tune_freeze": (["last_n", "none"], {"fine_tune": True}),
    "fine_tune_from": (["block_14_expand"], {"fine_tune": True}),
    "fine_tune_last_n": ([3], {"fine_tune": True, "fine_tune_freeze": "last_n"}),
}
AUGMENTATION: dict[str, tuple[list[Any], dict[str, Any]]] = {
    "flip": (["horizontal", "vertical", "both", "alternating"], {}),
    "rotation": ([10.0], {}),
    "zoom": ([0.1], {}),
    "shear": ([5.0], {}),
    "width_shift": ([0.1], {}),
    "height_shift": ([0.1], {}),
    "translate": ([2.0], {}),
    "brightness": ([0.1], {}),
    "contrast": ([0.1], {}),
    "crop": ([0.1], {}),
    "noise": ([5.0], {}),
    "mixup": ([0.2], {}),
    "cutmix": ([1.0], {}),
    "fill_mode": (["constant", "nearest", "wrap"], {"rotation": 10.0}),
    "placement": (["model"], {"rotation": 10.0}),
    "off": ([("rotation",)], {"rotation": 10.0}),
}
DATASET: dict[str, tuple[list[Any], dict[str, Any]]] = {
    "kind": (["folder"], {"path": "/data/pets"}),
    "name": (["mnist", "fashion-mnist", "cifar10"], {}),
    "path": (["/data/pets"], {"kind": "folder", "path": "/data/cats"}),
    "validation_fraction": ([0.2], {}),
    "test_fraction": ([0.2], {}),
    "seed": ([4], {}),
    "count": ([100], {}),
    "exclusions": ([Exclusions().excluding("train/3", "0123456789abcdef")], {}),
}
# The model's input decides how images are loaded, in the app as in the script.
DATASET_UNUSED = {"image_size", "channels"}


def script(
    training: TrainingConfig | None = None,
    augmentation: AugmentationConfig | None = None,
    dataset: DatasetSpec | None = None,
) -> str:
    text = python_script(
        backbone_spec(),
        dataset or DatasetSpec(name="shapes"),
        training or TrainingConfig(),
        augmentation or AugmentationConfig(),
    )
    compile(text, "exported.py", "exec")
    return text


def unchanged_fields(cls: type, table: dict, make) -> list[str]:
    """Fields missing from ``table`` or whose change leaves the script as it was."""
    problems = []
    for field in fields(cls):
        if field.name not in table:
            problems.append(f"{field.name} (new: handle it and add it here)")
            continue
        values, context = table[field.name]
        base = cls(**context)
        before = make(base)
        seen = {before}
        for value in values:
            after = make(replace(base, **{field.name: value}))
            if after in seen:
                problems.append(f"{field.name}={value!r}")
            seen.add(after)
    return problems


def test_every_training_setting_reaches_the_script():
    problems = unchanged_fields(
        TrainingConfig, TRAINING, lambda cfg: script(training=cfg)
    )
    assert problems == []


def test_every_augmentation_setting_reaches_the_script():
    problems = unchanged_fields(
        AugmentationConfig, AUGMENTATION, lambda aug: script(augmentation=aug)
    )
    assert problems == []


def test_every_dataset_setting_that_training_uses_reaches_the_script():
    table = {
        **DATASET,
        **{name: ([], {}) for name in DATASET_UNUSED},
    }
    problems = unchanged_fields(DatasetSpec, table, lambda ds: script(dataset=ds))
    assert problems == []


def test_exporting_a_script_does_not_import_tensorflow():
    # The export dialog writes the script at once; TensorFlow's import costs
    # seconds (only a backbone's layer table needs Keras).
    code = (
        "import sys\n"
        "from core.augmentation.config import PRESETS\n"
        "from core.inference.python_export import python_script\n"
        "from core.presets import starter_project\n"
        "p = starter_project()\n"
        "python_script(p.model, p.dataset, p.training, PRESETS['strong'])\n"
        "print(sorted(m for m in sys.modules if m in ('keras', 'tensorflow')))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_a_failed_write_keeps_the_earlier_script(tmp_path, monkeypatch):
    project = starter_project()
    target = tmp_path / "model.py"
    write_script(target, project.model, project.dataset, project.training)
    before = target.read_text()

    def full_disk(*args):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "replace", full_disk)
    changed = replace(project.training, epochs=3)
    with pytest.raises(WorkbenchError, match="No space left on device"):
        write_script(target, project.model, project.dataset, changed)
    assert target.read_text() == before
    # No temp file, and the recipe beside the script is whole.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.py", "recipe"]
    shipped = sorted(p.name for p in (tmp_path / "recipe").iterdir())
    assert shipped == sorted(p.name for p in RECIPE.glob("*.py"))
    with pytest.raises(WorkbenchError, match="is a folder"):
        write_script(tmp_path, project.model, project.dataset, changed)


def test_every_variant_of_the_script_passes_pyflakes(tmp_path):
    # Parts of a script only run on some machines (the keras.datasets fallback,
    # mixed precision on a GPU): an undefined name there must not wait for one.
    ruff = shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed")
    strong = replace(PRESETS["strong"], mixup=0.4, cutmix=1.0)
    augmentations = [
        None,
        strong,
        replace(strong, mixup=0.0),
        PRESETS["light"],
        AugmentationConfig(noise=3.0, mixup=0.2),
    ]
    trainings = [
        TrainingConfig(),
        TrainingConfig(
            fine_tune=True,
            class_weights=True,
            early_stopping=True,
            schedule="cosine",
            tensorboard=True,
            precision="mixed_float16",
            jit_compile=True,
        ),
        TrainingConfig(fine_tune=True, backup_and_restore=False),
        TrainingConfig(label_smoothing=0.1, class_weights=True),
    ]
    datasets = [
        DatasetSpec(),
        DatasetSpec(name="mnist"),
        DatasetSpec(name="cifar10"),
        DatasetSpec(name="cifar10", path="/data/cifar-10-jpg.tar.gz"),
        DatasetSpec(kind="folder", name="pets", path="/data/pets"),
        None,
    ]
    for i, (aug, cfg, ds) in enumerate(
        itertools.product(augmentations, trainings, datasets)
    ):
        text = python_script(backbone_spec(), ds, cfg, aug)
        (tmp_path / f"variant_{i}.py").write_text(text)
    lint = [ruff, "check", "--isolated", "--no-cache", "--select", "F,E9,B905"]
    done = subprocess.run(
        [*lint, str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout[-3000:]
