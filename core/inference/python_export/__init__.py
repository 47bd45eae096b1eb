"""Export as Python: one runnable Keras script that trains what the project trains.

For users who move on to code: the model rebuilt layer by layer with the
functional API (the same names and options as in the app), the same data and
split read offline, the project's augmentation, and ``model.fit`` with its
optimizer, schedule, callbacks, seed and, with a backbone, the fine-tuning
phase. It needs Keras with TensorFlow, NumPy and (for image files) Pillow; only
the generated ``shapes`` dataset needs this app installed. ``--limit N`` trains
on N images of each split for a quick check, ``--epochs N`` overrides the
epochs.

Example:
    >>> text = python_script(preset("mnist-convnet"), DatasetSpec(name="mnist"),
    ...                      TrainingConfig(), AugmentationConfig())
    >>> Path("mnist.py").write_text(text)  # then: python mnist.py --limit 64
"""

from __future__ import annotations

import os
from pathlib import Path

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

_STANDARD_IMPORTS = ("argparse", "math", "from pathlib import Path")


def python_script(
    spec: ModelSpec,
    dataset: DatasetSpec | None,
    training: TrainingConfig,
    augmentation: AugmentationConfig | None = None,
) -> str:
    """The script's text; ``build_model()`` inside returns the app's exact model.

    Raises:
        SpecError: the fine-tuning setting names a layer the backbone lacks.
    """
    aug = augmentation or AugmentationConfig()
    fine_tune = fine_tune_unfrozen(spec, training)
    data = data_code(dataset, spec)
    resumable = fine_tune is not None and training.backup_and_restore
    own = (*_STANDARD_IMPORTS, *(["json"] if resumable else []))
    stdlib = sorted({*own, *(i for i in data.imports if "PIL" not in i)})
    plain = [f"import {i}" for i in stdlib if not i.startswith("from")]
    imports = "\n".join(plain + [i for i in stdlib if i.startswith("from")])
    pillow = "".join(f"{i}\n" for i in data.imports if "PIL" in i)
    title = f"{spec.name}: exported from CNN Workbench"
    usage = "[--epochs N] [--limit N] [--out FOLDER]"
    if fine_tune is not None:
        usage = "[--epochs N] [--fine-tune-epochs N] [--limit N] [--out FOLDER]"
    sections = [
        f'''"""{title}.

Trains what the project trains: its model, data and split, augmentation and
training settings. Run:

    python {spec.name}.py {usage}

--limit N uses only N images of each split, for a quick check. The best model,
backup, logs and the trained model go to the --out folder.
"""

from __future__ import annotations

{imports}

import keras
import numpy as np
import tensorflow as tf
{pillow}
NAME = {spec.name!r}
{training_constants(training)}''',
        _section("Model", model_code(spec, training)),
        _section("Data", data.code),
        _section("Augmentation", augmentation_code(aug, spec.head.num_classes)),
        _section("Training", training_code(spec, training, aug, fine_tune)),
    ]
    return "\n\n".join(s.strip("\n") + "\n" for s in sections)


def write_script(
    target: str | os.PathLike[str],
    spec: ModelSpec,
    dataset: DatasetSpec | None,
    training: TrainingConfig,
    augmentation: AugmentationConfig | None = None,
) -> Path:
    """Write the script to ``target`` atomically and return its path.

    A failed write (full disk, read-only folder) leaves an earlier file whole.

    Raises:
        WorkbenchError: ``target`` is a folder or cannot be written; the
            message names it (SpecError: see ``python_script``).
    """
    path = Path(target)
    if path.is_dir():
        raise WorkbenchError(f"{path} is a folder: choose a file name ending in .py")
    text = python_script(spec, dataset, training, augmentation)
    try:
        write_atomic(path, text)
    except OSError as exc:
        raise WorkbenchError(f"cannot write {path}: {exc.strerror or exc}") from None
    return path


def _section(name: str, code: str) -> str:
    return f"# {'-' * 30} {name}\n\n{code}"
