"""The recipe runtime (core/recipe): the app's own code, shipped with its scripts.

An exported script imports the split, decoding, augmentation, optimizer and
class weights from a byte-for-byte copy of ``core.recipe`` written beside it,
so it runs without the app installed and computes what the app computes.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from core.augmentation.config import PRESETS
from core.augmentation.pipeline import augment_dataset
from core.data.load import open_dataset
from core.data.spec import DatasetSpec
from core.inference.python_export import RECIPE, python_script, write_script
from core.training.compile import compile_for
from core.training.config import TrainingConfig
from tests.core.inference.test_python_and_lite_export import load_script
from tests.core.inference.test_python_export_runs import tiny

ALLOWED = {"tensorflow", "keras", "numpy", "PIL"}


def dense() -> keras.Model:
    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])


def image_folder(root: Path, per_class: int = 8) -> Path:
    """Three classes of small PNG and JPEG images of a few sizes."""
    rng = np.random.default_rng(0)
    for name in ("circle", "square", "star"):
        (root / name).mkdir(parents=True)
        for i in range(per_class):
            pixels = rng.integers(0, 255, (10 + i, 12, 3), dtype=np.uint8)
            suffix = "png" if i % 2 else "jpg"
            Image.fromarray(pixels).save(root / name / f"{i}.{suffix}")
    return root


def test_the_recipe_imports_only_tensorflow_keras_numpy_and_pillow():
    # The import-linter contract keeps the app out; this keeps every other
    # package out too, since a script's user may have only these.
    found = []
    for path in sorted(RECIPE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level:
                continue  # the recipe's own modules
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for name in names:
                root = name.split(".")[0]
                if root not in ALLOWED and root not in sys.stdlib_module_names:
                    found.append(f"{path.name}:{node.lineno} imports {name}")
    assert found == []


def test_write_script_ships_the_apps_recipe_byte_for_byte(tmp_path):
    target = tmp_path / "model.py"
    write_script(target, tiny((16, 16, 3), 3), DatasetSpec(), TrainingConfig())
    app = {p.name: p.read_bytes() for p in RECIPE.glob("*.py")}
    shipped = {p.name: p.read_bytes() for p in (tmp_path / "recipe").iterdir()}
    assert shipped == app
    assert {"split.py", "augment.py", "images.py", "optimizers.py"} <= set(app)


def test_the_script_has_no_copied_app_code():
    text = python_script(
        tiny((16, 16, 3), 3),
        DatasetSpec(kind="folder", name="pets", path="/data/pets"),
        TrainingConfig(schedule="cosine", class_weights=True),
        replace(PRESETS["strong"], mixup=0.2, cutmix=1.0),
    )
    defined = {
        node.name for node in ast.parse(text).body if isinstance(node, ast.FunctionDef)
    }
    assert defined == {"build_model", "load_data", "make_callbacks", "batches", "main"}
    assert "from recipe.optimizers import compile_phase" in text
    assert "keras.optimizers" not in text  # the recipe makes the optimizer


# Runs the script as `python model.py ...` would, after taking the editable
# install of the app off the import system: `import core` must fail.
_WITHOUT_THE_APP = """
import importlib.util, runpy, sys
sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in repr(f).lower()]
sys.path[:] = [p for p in sys.path if p and not p.startswith(REPO)]
assert importlib.util.find_spec("core") is None, "core is importable"
script = sys.argv[1]
sys.argv[:] = sys.argv[1:]  # as `python model.py ARGS` has it
sys.path.insert(0, str(__import__("pathlib").Path(script).parent))
runpy.run_path(script, run_name="__main__")
"""


def train_without_the_app(script: Path, work: Path) -> subprocess.CompletedProcess:
    """Train ``script`` one epoch into ``work/run`` in a python that cannot
    import the app (isolated, no PYTHONPATH, the repository hidden), so a
    script that reaches for ``core`` fails here as it would on a user's machine.
    """
    repo = Path(__file__).resolve().parents[1]
    code = f"REPO = {str(repo)!r}\n" + textwrap.dedent(_WITHOUT_THE_APP)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    args = [str(script), "--epochs", "1", "--out", str(work / "run")]
    done = subprocess.run(
        [sys.executable, "-I", "-c", code, *args],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def test_the_exported_script_trains_without_the_app(tmp_path):
    folder = image_folder(tmp_path / "shapes")
    spec = tiny((12, 12, 3), 3)
    cfg = TrainingConfig(
        batch_size=4, schedule="cosine", warmup=0.2, class_weights=True
    )
    aug = replace(PRESETS["light"], mixup=0.2, brightness=0.1)
    dataset = DatasetSpec(
        kind="folder", name="shapes", path=str(folder), validation_fraction=0.25
    )
    work = tmp_path / "elsewhere"
    work.mkdir()
    script = write_script(work / "model.py", spec, dataset, cfg, aug)
    done = train_without_the_app(script, work)
    assert "3 classes; images: train 15, validation 6, test 3" in done.stdout
    assert "test:" in done.stdout
    assert (work / "run" / "model.keras").is_file()


def test_the_app_and_the_script_split_the_same_images(tmp_path):
    folder = image_folder(tmp_path / "shapes", per_class=10)
    dataset = DatasetSpec(
        kind="folder", name="shapes", path=str(folder), seed=5, test_fraction=0.2
    )
    module = load_script(
        tmp_path, python_script(tiny((12, 12, 3), 3), dataset, TrainingConfig())
    )
    splits, classes = module.load_data()
    app = open_dataset(dataset)
    assert classes == app.class_names
    for name in ("train", "validation", "test"):
        paths, labels = splits[name]
        assert list(paths) == app.splits[name].paths
        assert labels.tolist() == app.splits[name].labels.tolist()
    # In-memory data too: the generated shapes, carved by the same rule.
    shapes = DatasetSpec(name="shapes", count=60, seed=2, validation_fraction=0.2)
    module = load_script(
        tmp_path, python_script(tiny((32, 32, 3), 6), shapes, TrainingConfig())
    )
    splits, _ = module.load_data()
    app = open_dataset(shapes)
    for name in ("train", "validation", "test"):
        x, y = splits[name]
        assert np.array_equal(x, app.splits[name].images)
        assert np.array_equal(y, app.splits[name].labels)


@pytest.mark.parametrize(
    "cfg",
    [
        TrainingConfig(
            optimizer="sgd", momentum=0.8, nesterov=True, schedule="cosine", warmup=0.1
        ),
        TrainingConfig(optimizer="adamw", weight_decay=0.02, learning_rate=0.003),
        TrainingConfig(optimizer="rmsprop", schedule="plateau"),
    ],
    ids=["sgd-cosine", "adamw", "rmsprop"],
)
def test_the_app_and_the_script_make_the_same_optimizer(tmp_path, cfg):
    spec = tiny((12, 12, 3), 3)
    module = load_script(tmp_path, python_script(spec, DatasetSpec(), cfg))
    app, script = dense(), dense()
    compile_for(app, cfg, steps_per_epoch=7)
    app_config = app.optimizer.get_config()
    settings = {**module.TRAINING, "epochs": module.EPOCHS}
    module.compile_phase(script, settings, 7, module.LOSS)
    script_config = script.optimizer.get_config()
    app_config.pop("name"), script_config.pop("name")
    assert script_config == app_config


def test_the_app_and_the_script_augment_a_batch_alike(tmp_path):
    aug = replace(PRESETS["strong"], mixup=0.3, cutmix=1.0, fill_mode="wrap")
    aug = aug.switched("zoom", on=False)
    cfg = TrainingConfig(batch_size=6, seed=11)
    module = load_script(
        tmp_path, python_script(tiny((16, 16, 3), 4), DatasetSpec(), cfg, aug)
    )
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, (12, 16, 16, 3)).astype(np.float32)
    labels = rng.integers(0, 4, 12)
    batches = tf.data.Dataset.from_tensor_slices((images, labels)).batch(6)
    app = next(iter(augment_dataset(batches, aug, 4, cfg.seed, cfg.batch_size)))
    script = next(
        iter(
            module.augment_dataset(
                batches,
                module.AUGMENTATION,
                module.NUM_CLASSES,
                module.SEED,
                module.BATCH_SIZE,
            )
        )
    )
    assert not np.allclose(app[0].numpy(), images[:6])  # it did augment
    np.testing.assert_array_equal(script[0].numpy(), app[0].numpy())
    np.testing.assert_array_equal(script[1].numpy(), app[1].numpy())
