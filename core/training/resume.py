"""Resume a run from its folder alone: the model, data and settings it recorded.

``config.json`` holds the model, the dataset spec with a fingerprint of the
data, the augmentation and the training settings, so neither the project as
it is now nor the data page's current choice can change what a resumed run
trains. Only the number of epochs (and of fine-tuning epochs) and the
learning rate may be changed; ``run_session`` checks the rest and records the
resume in ``run.json``'s ``resumes``. Data moved to another folder is found
there with ``data_root`` (the fingerprint proves it is the same data); the
resume records the new place, and later resumes and evaluations look there.

Example:
    out = resume_session("my.runs/20250101-120000-cnn", epochs=20)
    print(out.result.epochs_run, out.run.record()["resumes"][-1])
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from core.augmentation.config import AugmentationConfig
from core.data.builtin import BUILTIN_NAMES
from core.data.dataset import Dataset
from core.data.load import Progress, open_dataset
from core.data.spec import DatasetSpec
from core.errors import WorkbenchError
from core.runs import Run, RunStore
from core.spec import ModelSpec
from core.training.config import TrainingConfig
from core.training.events import TrainingListener
from core.training.fingerprint import refuse_changed_data
from core.training.restart import recorded_data_path
from core.training.session import SessionResult, run_session


class DataMoved(WorkbenchError):
    """The run's data is not where it was recorded; the message says how to
    give its new place (the command line names its options)."""

    def __init__(self, run: Run, path: str) -> None:
        super().__init__(
            f"{run.name}'s data is no longer at {path} (moved or deleted?): "
            "choose its new location"
        )

    def for_command_line(self) -> str:
        return (
            f"{self}: give it with --data-root NEW_PLACE (train --resume) or "
            "--dataset NEW_PLACE (evaluate)"
        )


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
        data_spec = DatasetSpec.from_dict(data, where + "dataset.spec")
        if data_spec.path and recorded_data_path(config) != data_spec.path:
            data_spec = replace(data_spec, path=recorded_data_path(config))
        return RunInputs(
            ModelSpec.from_dict(config.get("model"), where + "model"),
            data_spec,
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
    data_root: str | os.PathLike[str] | None = None,
) -> Dataset:
    """The run's data, opened as recorded (or where ``data_root`` says it
    moved, see ``moved_to``); refused when it changed since.

    Raises:
        WorkbenchError: the data is missing, or it differs from the run's
            fingerprint (the message says what changed).
    """
    spec = moved_to(read_inputs(run).data_spec, data_root)
    dataset = open_dataset(found(run, spec), progress, cancel)
    refuse_changed_data(run.config().get("dataset", {}), dataset, run.name)
    return dataset


def moved_to(
    spec: DatasetSpec, data_root: str | os.PathLike[str] | None
) -> DatasetSpec:
    """``spec`` with its folder (or local files) at ``data_root``: the folder
    itself, or the folder of the recorded name inside it (as ``train
    --data-root`` finds a project's data).

    Raises:
        WorkbenchError: the run's data has no folder to move (a generated one).
    """
    if data_root is None:
        return spec
    if not spec.path:
        raise WorkbenchError(
            f"the run trained on {spec.title}, which has no folder to move: "
            "the data location cannot be given for it"
        )
    root = Path(data_root).expanduser().resolve()
    inside = root / Path(spec.path).name
    return replace(spec, path=str(inside if inside.is_dir() else root))


def found(run: Run, spec: DatasetSpec) -> DatasetSpec:
    """``spec``, when its folder (or local files) exist.

    Raises:
        DataMoved: they do not, so the data moved or was deleted.
    """
    if spec.path and not Path(spec.path).exists():
        raise DataMoved(run, spec.path)
    return spec


def moved_data(run: Run, location: str) -> Dataset | None:
    """The run's own data at ``location``, a folder it moved to; None when
    ``location`` holds other data (or names a built-in dataset)."""
    if location in BUILTIN_NAMES or not (run.path / "config.json").is_file():
        return None
    try:
        return open_recorded_dataset(run, data_root=location)
    except WorkbenchError:
        return None


def resume_session(
    run_dir: str | Path | Run,
    epochs: int | None = None,
    fine_tune_epochs: int | None = None,
    learning_rate: float | None = None,
    listener: TrainingListener | None = None,
    cancel: threading.Event | None = None,
    progress: Progress | None = None,
    strategy: str = "auto",
    data_root: str | os.PathLike[str] | None = None,
) -> SessionResult:
    """Continue the run in ``run_dir`` as it was recorded.

    ``epochs``, ``fine_tune_epochs`` and ``learning_rate`` (None: as
    recorded) are the only settings a resume may change; each resume is
    appended to ``run.json``'s ``resumes`` with what changed. ``strategy`` is
    this machine's choice (``core.training.device``), not a setting of the run.
    ``data_root`` is where the run's data moved (``moved_to``); the resume's
    entry notes it as ``data_moved: [from, to]``.

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
    data_spec = moved_to(inputs.data_spec, data_root)
    # run_session refuses data that differs from the run's fingerprint
    dataset = open_dataset(found(run, data_spec), progress, cancel)
    return run_session(
        inputs.spec,
        dataset=dataset,
        cfg=cfg,
        augmentation=inputs.augmentation,
        listener=listener,
        cancel=cancel,
        store=RunStore(run.path.parent),
        resume=run,
        data_spec=data_spec,
        strategy=strategy,
    )
