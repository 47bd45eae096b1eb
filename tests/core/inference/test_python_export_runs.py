"""Export as Python: the script runs as is, offline, on every dataset kind.

Each test writes the script as the export dialog does and runs it in a
subprocess, as a user would (``python model.py --limit 64 --epochs 1``), with
a tiny model so an epoch takes a moment (the subprocess's TensorFlow import
costs most of the time).
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core.augmentation.config import PRESETS, AugmentationConfig
from core.data.load import open_dataset
from core.data.spec import DatasetSpec
from core.inference.python_export import python_script, ship_recipe, write_script
from core.presets import starter_project
from core.spec import HeadSpec, InputSpec, LayerSpec, ModelSpec
from core.training.config import TrainingConfig
from tests.core.inference.test_python_and_lite_export import load_script
from tests.core.training.test_two_phase import spec as backbone_spec

REPO = Path(__file__).resolve().parents[3]


def tiny(shape: tuple[int, int, int], classes: int) -> ModelSpec:
    return ModelSpec(
        InputSpec(*shape),
        (
            LayerSpec.create("Rescaling", "rescaling_1"),
            LayerSpec.create("Conv2D", "conv2d_1", {"filters": 4, "strides": 2}),
            LayerSpec.create("GlobalAveragePooling2D", "gap_1"),
        ),
        HeadSpec(classes),
    )


def run_script(tmp_path: Path, text: str, *args: str) -> subprocess.CompletedProcess:
    """``python model.py --limit 64 --epochs 1 ARGS`` in ``tmp_path``."""
    script = tmp_path / "model.py"
    script.write_text(text, encoding="utf-8")
    ship_recipe(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "2"}
    command = [sys.executable, str(script), "--limit", "64", "--epochs", "1"]
    done = subprocess.run(
        [*command, "--out", str(tmp_path / "run"), *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def history(tmp_path: Path) -> list[dict[str, str]]:
    with open(tmp_path / "run" / "history.csv", newline="") as f:
        return list(csv.DictReader(f))


def trained(tmp_path: Path, spec: ModelSpec) -> None:
    run = tmp_path / "run"
    assert (run / f"{spec.name}.keras").is_file()
    assert (run / "best.keras").is_file()
    assert [row["epoch"] for row in history(tmp_path)] == ["0"]


def mixed_folder(root: Path) -> Path:
    """Two classes of small images of mixed sizes and modes, transparent ones too."""
    rng = np.random.default_rng(0)
    for name in ("cat", "dog"):
        for i in range(12):
            size = (20 + i, 16 + 2 * i)
            pixels = rng.integers(0, 255, (*size[::-1], 4), dtype=np.uint8)
            image = Image.fromarray(pixels, "RGBA")
            (root / name).mkdir(parents=True, exist_ok=True)
            if i % 3 == 0:
                image.save(root / name / f"{i}.png")
            else:
                image.convert("RGB").save(root / name / f"{i}.jpg")
        (root / name / "notes.txt").write_text("not an image")
    return root


def test_first_start_project_script_trains_on_the_shapes(tmp_path):
    project = starter_project()
    # 800 shapes, not the starter's 8,000 (about 15 CPU-seconds to draw, of
    # which --limit 64 kept 192): still more than 64 in each split.
    dataset = replace(project.dataset, count=800)
    text = python_script(project.model, dataset, project.training, project.augmentation)
    done = run_script(tmp_path, text)
    trained(tmp_path, project.model)
    assert "train 64, validation 64, test 64" in done.stdout
    assert "test:" in done.stdout


def test_shapes_script_says_it_needs_the_package(tmp_path, monkeypatch):
    text = python_script(tiny((32, 32, 3), 6), DatasetSpec(), TrainingConfig())
    module = load_script(tmp_path, text)
    monkeypatch.setitem(sys.modules, "core.data.shapes", None)  # not installed
    with pytest.raises(SystemExit, match="install cnn-workbench"):
        module.load_data(64)


def test_folder_script_with_strong_augmentation_and_mixing(tmp_path):
    folder = mixed_folder(tmp_path / "pets")
    spec = tiny((24, 24, 3), 2)
    aug = replace(PRESETS["strong"], mixup=0.4, cutmix=1.0, fill_mode="constant")
    cfg = TrainingConfig(
        batch_size=8,
        schedule="cosine",
        warmup=0.25,
        class_weights=True,
        tensorboard=True,
    )
    dataset = DatasetSpec(
        kind="folder", name="pets", path=str(folder), validation_fraction=0.25
    )
    done = run_script(tmp_path, python_script(spec, dataset, cfg, aug))
    trained(tmp_path, spec)
    assert "train 16, validation 6, test 2" in done.stdout
    assert (tmp_path / "run" / "tensorboard").is_dir()


def test_folder_script_trains_with_label_smoothing(tmp_path):
    folder = mixed_folder(tmp_path / "pets")
    spec = tiny((24, 24, 3), 2)
    cfg = TrainingConfig(batch_size=8, label_smoothing=0.1)
    dataset = DatasetSpec(kind="folder", name="pets", path=str(folder))
    text = python_script(spec, dataset, cfg)
    assert "BinaryCrossentropy(label_smoothing=0.1)" in text  # two classes: sigmoid
    done = run_script(tmp_path, text)
    trained(tmp_path, spec)
    assert "test:" in done.stdout


def test_folder_script_splits_and_loads_images_as_the_app(tmp_path):
    folder = mixed_folder(tmp_path / "pets")
    transparent = np.zeros((10, 10, 4), np.uint8)  # fully transparent black
    Image.fromarray(transparent, "RGBA").save(folder / "cat" / "clear.png")
    (folder / "dog" / "empty.png").write_bytes(b"")  # left out, as by the app
    (folder / "dog" / "text.jpg").write_text("not a JPEG")
    dataset = DatasetSpec(kind="folder", name="pets", path=str(folder), seed=3)
    spec = tiny((10, 10, 3), 2)
    module = load_script(tmp_path, python_script(spec, dataset, TrainingConfig()))
    splits, classes = module.load_data()
    app = open_dataset(dataset)
    assert classes == app.class_names
    for name, (paths, labels) in splits.items():
        assert list(paths) == app.splits[name].paths
        assert labels.tolist() == app.splits[name].labels.tolist()
    # Transparent pixels are white, as in the app.
    clear = (np.array([str(folder / "cat" / "clear.png")]), np.array([0]))
    images, _ = next(iter(module.batches(clear)))
    assert images.shape == (1, 10, 10, 3)
    assert (images.numpy() == 255).all()


@pytest.mark.parametrize("name", ["mnist", "fashion-mnist"])
def test_idx_script_reads_the_local_files(tmp_path, shared_datasets, name):
    spec = tiny((28, 28, 1), 10)
    dataset = DatasetSpec(name=name, path=str(shared_datasets / name))
    aug = AugmentationConfig(rotation=10, zoom=0.1, cutmix=1.0)
    text = python_script(spec, dataset, TrainingConfig(schedule="plateau"), aug)
    assert "keras.datasets" in text  # only the online fallback
    done = run_script(tmp_path, text)
    trained(tmp_path, spec)
    assert "train 64, validation 64, test 64" in done.stdout


@pytest.mark.parametrize("source", ["archive", "folder"])
def test_cifar10_script_reads_the_local_archive_or_folder(
    tmp_path, shared_datasets, source
):
    path = {
        "archive": shared_datasets / "cifar-10-jpg" / "cifar-10-jpg.tar.gz",
        "folder": shared_datasets / "cifar-10-jpg-small",
    }[source]
    spec = tiny((32, 32, 3), 10)
    # The small folder has train/ and test/; without a validation split the
    # callbacks watch the training metrics.
    validation = 0.1 if source == "archive" else 0.0
    dataset = DatasetSpec(
        name="cifar10", path=str(path), validation_fraction=validation
    )
    cfg = TrainingConfig(early_stopping=True, optimizer="sgd")
    done = run_script(tmp_path, python_script(spec, dataset, cfg, PRESETS["light"]))
    trained(tmp_path, spec)
    if source == "folder":
        assert "validation 0, test 64" in done.stdout


def test_backbone_script_fine_tunes_in_a_second_phase(tmp_path):
    spec = replace(backbone_spec(), head=HeadSpec(6))
    cfg = TrainingConfig(
        fine_tune=True,
        fine_tune_freeze="last_n",
        fine_tune_last_n=4,
        fine_tune_lr_factor=0.5,
        schedule="cosine",
    )
    dataset = DatasetSpec(name="shapes", count=60)
    text = python_script(spec, dataset, cfg)
    run_script(tmp_path, text, "--fine-tune-epochs", "1")
    assert (tmp_path / "run" / f"{spec.name}.keras").is_file()
    assert [row["epoch"] for row in history(tmp_path)] == ["0", "1"]


def test_backbone_script_killed_in_phase_two_resumes_there(tmp_path):
    spec = replace(backbone_spec(), head=HeadSpec(6))
    cfg = TrainingConfig(fine_tune=True, batch_size=8)
    script = tmp_path / "model.py"
    write_script(script, spec, DatasetSpec(name="shapes", count=60), cfg)
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, str(script), "--epochs", "1", "--limit", "64"]
    command += ["--fine-tune-epochs", "3", "--out", str(tmp_path / "run")]
    with subprocess.Popen(
        command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, text=True
    ) as first:
        assert first.stdout is not None
        for line in first.stdout:
            if "Epoch 3/4" in line:  # phase 2's first epoch is backed up
                first.kill()
                break
    assert first.returncode != 0  # killed, not finished
    again = run_script(tmp_path, script.read_text(), "--fine-tune-epochs", "3")
    # Phase 2's optimizer state comes back with its weights.
    assert "Skipping variable loading" not in again.stderr
    assert "Epoch 1/1" not in again.stdout  # phase 1 is not trained again
    assert [row["epoch"] for row in history(tmp_path)] == ["0", "1", "2", "3"]


def test_script_compiles_the_optimizer_the_app_compiles(tmp_path):
    """SGD with Nesterov, weight decay, one_cycle and the norm layers apart, as
    in the app."""
    import keras

    from core.model_builder import build_model
    from core.training.compile import compile_for

    spec = tiny((32, 32, 3), 6)
    spec = replace(
        spec,
        layers=(
            *spec.layers[:2],
            LayerSpec.create("BatchNormalization", "bn_1"),
            spec.layers[2],
        ),
    )
    cfg = TrainingConfig(
        optimizer="sgd",
        nesterov=True,
        sgd_weight_decay=0.01,
        schedule="one_cycle",
        warmup=0.25,
        norm_lr_factor=16.0,
        batch_size=16,
        epochs=1,
    )
    # 100 shapes, not 8,000: --limit 64 trains on 64 of them either way.
    run_script(tmp_path, python_script(spec, DatasetSpec(count=100), cfg))
    # The final model is recompiled for its test figure: the checkpoint trained.
    saved = keras.models.load_model(tmp_path / "run" / "best.keras")
    steps = int(saved.optimizer.iterations)  # one epoch
    app = build_model(spec)
    compile_for(app, cfg, steps)

    def unnamed(value):  # the rate saved is the step's: compared below
        if isinstance(value, dict):
            dropped = ("name", "learning_rate")
            return {k: unnamed(v) for k, v in value.items() if k not in dropped}
        return [unnamed(v) for v in value] if isinstance(value, list) else value

    made = keras.optimizers.serialize(app.optimizer)
    assert unnamed(keras.optimizers.serialize(saved.optimizer)) == unnamed(made)
    parts = zip(saved.optimizer.optimizers, app.optimizer.optimizers, strict=True)
    for kept, cycled in parts:  # the last rate the script's OneCycleRate set
        assert float(kept.learning_rate) == float(cycled.one_cycle(steps - 1))
