"""Resume a run from its folder alone: the model, data and settings it recorded.

``config.json`` holds the model, the dataset spec with a fingerprint of the
data, the augmentation and the training settings, so neither the project as
it is now nor the data page's current choice can change what a resumed run
trains. Only the number of epochs (and of fine-tuning epochs) and the
learning rate may be changed; ``run_session`` checks the rest and records the
resume in ``run.json``'s ``resumes``.

Example:
    out = resume_session("my.runs/20250101-120000-cnn", epochs=20)
    print(out.result.epochs_run, out.run.record()["resumes"][-1])
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from core.augmentation.config import AugmentationConfig
from core.data.dataset import Dataset
from core.data.load import Progress, open_dataset
from core.data.spec import DatasetSpec
from core.errors import WorkbenchError
from core.runs import Run, RunStore
from core.spec import ModelSpec
from core.training.config import TrainingConfig
from core.training.events import TrainingListener
from core.training.fingerprint import refuse_changed_data
from core.training.session import SessionResult, run_session


@dataclass(frozen=True)
class RunInputs:
    """What a run folder says the run trains: everything but the data itself."""

    spec: ModelSpec
    data_spec: DatasetSpec
    training: TrainingConfig
    augmentation: AugmentationConfig


def read_inputs(run: Run) -> RunInputs:
    """The run's recorded model, dataset spec and settings.

    Raises:
        WorkbenchError: a folder that is not a run, or one recorded without its
            dataset spec (by a script that passed no ``data_spec``, or by an
            older version).
    """
    config = run.config()
    if not config:
        raise WorkbenchError(f"{run.path} is not a run folder (no config.json)")
    data = (config.get("dataset") or {}).get("spec")
    if data is None:
        raise WorkbenchError(
            f"{run.name} did not record its dataset, so it cannot be reopened "
            "from its folder alone"
        )
    where = f"{run.path / 'config.json'}: "
    try:
        return RunInputs(
            ModelSpec.from_dict(config.get("model"), where + "model"),
            DatasetSpec.from_dict(data, where + "dataset.spec"),
            TrainingConfig.from_dict(config.get("training"), where + "training"),
            AugmentationConfig.from_dict(
                config.get("augmentation"), where + "augmentation"
            ),
        )
    except WorkbenchError:
        raise
    except (TypeError, ValueError) as exc:
        raise WorkbenchError(f"{where}damaged ({exc})") from None


def open_recorded_dataset(
    run: Run,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> Dataset:
    """The run's data, opened as recorded; refused when it changed since.

    Raises:
        WorkbenchError: the data is missing, or it differs from the run's
            fingerprint (the message says what changed).
    """
    dataset = open_dataset(read_inputs(run).data_spec, progress, cancel)
    refuse_changed_data(run.config().get("dataset", {}), dataset, run.name)
    return dataset


def resume_session(
    run_dir: str | Path | Run,
    epochs: int | None = None,
    fine_tune_epochs: int | None = None,
    learning_rate: float | None = None,
    listener: TrainingListener | None = None,
    cancel: threading.Event | None = None,
    progress: Progress | None = None,
    strategy: str = "auto",
) -> SessionResult:
    """Continue the run in ``run_dir`` as it was recorded.

    ``epochs``, ``fine_tune_epochs`` and ``learning_rate`` (None: as
    recorded) are the only settings a resume may change; each resume is
    appended to ``run.json``'s ``resumes`` with what changed. ``strategy`` is
    this machine's choice (``core.training.device``), not a setting of the run.

    Raises:
        WorkbenchError: not a resumable run folder, data that changed, a
            setting out of range, or nothing left to train.
    """
    run = run_dir if isinstance(run_dir, Run) else Run(Path(run_dir))
    inputs = read_inputs(run)
    changes: dict[str, Any] = {
        name: value
        for name, value in (
            ("epochs", epochs),
            ("fine_tune_epochs", fine_tune_epochs),
            ("learning_rate", learning_rate),
        )
        if value is not None
    }
    cfg = replace(inputs.training, **changes)
    # run_session refuses data that differs from the run's fingerprint
    dataset = open_dataset(inputs.data_spec, progress, cancel)
    return run_session(
        inputs.spec,
        dataset,
        cfg,
        inputs.augmentation,
        listener,
        cancel,
        RunStore(run.path.parent),
        resume=run,
        data_spec=inputs.data_spec,
        strategy=strategy,
    )
