"""Export as Python: one runnable Keras script that trains what the project trains.

For users who move on to code: the model rebuilt layer by layer with the
functional API (the same names and options as in the app), the settings as
data, and ``model.fit`` with the project's callbacks, seed and, with a
backbone, the fine-tuning phase. What must compute exactly what the app
computes (the split, decoding, augmentation, the optimizer and its schedule,
class weights) is not retyped: the script imports it from ``recipe/``, a copy
of the app's own ``core.recipe`` written beside it. It needs Keras with
TensorFlow, NumPy and Pillow; only the generated ``shapes`` dataset needs this
app installed. ``--limit N`` trains on N images of each split for a quick
check, ``--epochs N`` overrides the epochs.

Example:
    >>> write_script("mnist.py", preset("mnist-convnet"), DatasetSpec(name="mnist"),
    ...              TrainingConfig(), AugmentationConfig())
    >>> # then: python mnist.py --limit 64 (recipe/ sits beside mnist.py)
"""

from __future__ import annotations

import ast
import os
from pathlib import Path

import core.recipe as recipe_package
from core.augmentation.config import AugmentationConfig
from core.data.spec import DatasetSpec
from core.errors import WorkbenchError
from core.inference.python_export.augmentation_code import augmentation_code
from core.inference.python_export.data_code import data_code
from core.inference.python_export.model_code import fine_tune_unfrozen, model_code
from core.inference.python_export.training_code import (
    training_code,
    training_constants,
)
from core.project import write_atomic
from core.spec import ModelSpec
from core.training.config import TrainingConfig

# The recipe runtime the script imports, shipped beside it by write_script.
RECIPE = Path(recipe_package.__file__).parent


def python_script(
    spec: ModelSpec,
    dataset: DatasetSpec | None,
    training: TrainingConfig,
    augmentation: AugmentationConfig | None = None,
) -> str:
    """The script's text; ``build_model()`` inside returns the app's exact model.

    The script imports ``recipe``: run it beside a copy (``ship_recipe``).

    Raises:
        SpecError: the fine-tuning setting names a layer the backbone lacks.
    """
    aug = augmentation or AugmentationConfig()
    fine_tune = fine_tune_unfrozen(spec, training)
    data = data_code(dataset, spec)
    resumable = fine_tune is not None and training.backup_and_restore
    title = f"{spec.name}: exported from CNN Workbench"
    usage = "[--epochs N] [--limit N] [--out FOLDER]"
    if fine_tune is not None:
        usage = "[--epochs N] [--fine-tune-epochs N] [--limit N] [--out FOLDER]"
    body = [
        f"NAME = {spec.name!r}\n{training_constants(training)}",
        _section("Model", model_code(spec, training)),
        _section("Data", data.code),
        _section("Augmentation", augmentation_code(aug)),
        _section("Training", training_code(spec, training, aug, fine_tune)),
    ]
    text = "\n\n".join(s.strip("\n") + "\n" for s in body)
    names = {n.id for n in ast.walk(ast.parse(text)) if isinstance(n, ast.Name)}
    wanted = {
        "augment import augment_dataset": aug.any_active,
        "augment_settings import Augmentation": aug.any_active,
        "batches import make_dataset": True,
        "class_weights import class_weights": "class_weights" in names,
        "layer_names import stable_layer_names": spec.backbone is not None,
        "optimizers import OneCycleRate, compile_phase": "OneCycleRate" in names,
        "optimizers import compile_phase": "OneCycleRate" not in names,
        "precision import policy_for": "policy_for" in names,
        "tta import tta_model": "tta_model" in names,
        "weight_average import AveragedWeights": "AveragedWeights" in names,
        "whitening import whiten_first_conv, whitening_sample": "whiten_first_conv"
        in names,
    }
    recipe = [f"from recipe.{name}" for name, used in wanted.items() if used]
    recipe = sorted([*recipe, *data.imports])
    stdlib = ["argparse", *(["json"] if resumable else []), "math"]
    third = [
        "keras",
        *(["numpy as np"] if "np" in names else []),
        *(["tensorflow as tf"] if "tf" in names else []),
    ]
    plain = "".join(f"import {m}\n" for m in stdlib)
    libraries = "".join(f"import {m}\n" for m in third)
    recipe_lines = "".join(f"{line}\n" for line in recipe)
    head = f'''"""{title}.

Trains what the project trains: its model, data and split, augmentation and
training settings. CNN Workbench's own code for the split, decoding,
augmentation and optimizer is in the recipe/ folder beside this script. Run:

    python {spec.name}.py {usage}

--limit N uses only N images of each split, for a quick check. The best model,
backup, logs and the trained model go to the --out folder.
"""

from __future__ import annotations

{plain}from pathlib import Path

{libraries}
{recipe_lines}'''
    return head + "\n" + text


def ship_recipe(folder: str | os.PathLike[str]) -> Path:
    """Copy the app's recipe runtime into ``folder``/recipe, file by file, each
    written atomically and byte for byte as the app has it; returns the copy.

    Raises:
        OSError: a file cannot be written.
    """
    target = Path(folder) / "recipe"
    for source in sorted(RECIPE.glob("*.py")):
        write_atomic(target / source.name, source.read_text(encoding="utf-8"))
    return target


def write_script(
    target: str | os.PathLike[str],
    spec: ModelSpec,
    dataset: DatasetSpec | None,
    training: TrainingConfig,
    augmentation: AugmentationConfig | None = None,
) -> Path:
    """Write the script to ``target`` and the recipe beside it, atomically, and
    return the script's path.

    A failed write (full disk, read-only folder) leaves earlier files whole.

    Raises:
        WorkbenchError: ``target`` is a folder or cannot be written; the
            message names it (SpecError: see ``python_script``).
    """
    path = Path(target)
    if path.is_dir():
        raise WorkbenchError(f"{path} is a folder: choose a file name ending in .py")
    text = python_script(spec, dataset, training, augmentation)
    try:  # the recipe first: a script is never left without the code it imports
        ship_recipe(path.parent)
        write_atomic(path, text)
    except OSError as exc:
        raise WorkbenchError(f"cannot write {path}: {exc.strerror or exc}") from None
    return path


def _section(name: str, code: str) -> str:
    return f"# {'-' * 30} {name}\n\n{code}"
