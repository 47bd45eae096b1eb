"""A model trained with the one-cycle schedule loads anywhere (#26).

The product promises a ``.keras`` file that opens with plain
``keras.models.load_model(path)``: in a process that imports only Keras, with
the optimizer compiled (``compile=True``, safe_mode on). The app's run folder
and the exported script's output folder are both checked, with the norm layers
in an optimizer of their own (a MultiOptimizer), as fast presets train.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import keras

from core.augmentation.config import AugmentationConfig
from core.data.load import open_dataset
from core.data.spec import DatasetSpec
from core.inference.python_export import write_script
from core.runs import RunStore
from core.spec import InputSpec, LayerSpec
from core.training.config import TrainingConfig
from core.training.session import run_session
from tests.core.training.test_session import small_spec
from tests.test_recipe_runtime import image_folder, train_without_the_app

REPO = Path(__file__).resolve().parents[2]
CFG = TrainingConfig(
    schedule="one_cycle", warmup=0.25, norm_lr_factor=2.0, epochs=1, batch_size=8
)
# Only Keras: every file loads compiled, as a user at home would load it.
_LOAD = """
import sys
import keras
import numpy as np
for path in sys.argv[1:]:
    model = keras.models.load_model(path)
    assert model.optimizer is not None, path
    shape = (2, *model.input_shape[1:])
    assert np.isfinite(model.predict(np.zeros(shape, "float32"), verbose=0)).all()
    print("loaded", path)
"""


def with_norm_layer(classes: int):
    spec = small_spec(classes)
    bn = LayerSpec.create("BatchNormalization", "bn_1")
    return replace(spec, layers=(*spec.layers[:2], bn, spec.layers[2]))


def load_with_keras_alone(*paths: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    done = subprocess.run(
        [sys.executable, "-c", _LOAD, *map(str, paths)],
        cwd=paths[0].parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("loaded") == len(paths)


def test_a_one_cycle_run_s_models_load_with_keras_alone(tmp_path):
    keras.utils.set_random_seed(0)
    dataset = open_dataset(DatasetSpec(name="shapes", count=120))
    store = RunStore(tmp_path / "runs")
    session = run_session(with_norm_layer(6), dataset=dataset, cfg=CFG, store=store)
    result = session.result
    assert result.best_path
    assert result.last_path
    saved = keras.models.load_model(result.last_path)  # here the recipe is imported
    assert isinstance(saved.optimizer, keras.optimizers.MultiOptimizer)
    load_with_keras_alone(Path(result.best_path), Path(result.last_path))


def test_the_exported_script_s_one_cycle_models_load_with_keras_alone(tmp_path):
    folder = image_folder(tmp_path / "shapes")
    dataset = DatasetSpec(
        kind="folder", name="shapes", path=str(folder), validation_fraction=0.25
    )
    spec = replace(with_norm_layer(3), input=InputSpec(12, 12, 3))
    work = tmp_path / "elsewhere"
    work.mkdir()
    cfg = replace(CFG, batch_size=2)  # steps enough for a warm-up
    script = write_script(work / "model.py", spec, dataset, cfg, AugmentationConfig())
    train_without_the_app(script, work)
    run = work / "run"
    load_with_keras_alone(run / "best.keras", run / "model.keras")
