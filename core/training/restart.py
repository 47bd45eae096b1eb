"""Resuming a run in its folder: what may change, and where training restarts.

``run_session`` continues a run only as it was recorded: the same model,
augmentation and data (its fingerprint), with only ``RESUME_CHANGEABLE``
settings changed, from the epoch its saved weights hold. Kept apart from the
session so the rules a resume follows read in one place.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import warnings
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import keras

from core.augmentation.config import AugmentationConfig
from core.data.dataset import Dataset
from core.data.spec import DatasetSpec
from core.errors import WorkbenchError
from core.runs import Run
from core.spec import ModelSpec
from core.training.backup import backup_intact
from core.training.checkpoint import ResumeState
from core.training.config import TrainingConfig
from core.training.fingerprint import refuse_changed_data

# What a resume may change; anything else would make the record lie about the run.
RESUME_CHANGEABLE = ("epochs", "fine_tune_epochs", "learning_rate")


@dataclass
class Restart:
    """Where a resume continues: the epochs kept, their history, what changed.

    ``details`` go into the resume's entry in ``resumes`` as they are (the
    data's new location, a damaged backup set aside); ``damaged_backup``: the
    backup cannot be read and ``continue_run`` sets it aside.
    """

    epoch: int
    history: dict[str, list[float]]
    changed: dict[str, list[Any]]
    details: dict[str, Any] = field(default_factory=dict)
    damaged_backup: bool = False


@dataclass
class Start:
    """Where this session's training starts, from a resumed run's record.

    ``note``: what the user should know about the restart (one line, or "").
    """

    epoch: int = 0
    history: dict[str, list[float]] = field(default_factory=dict)
    boundary: int | None = None
    state: ResumeState | None = None
    note: str = ""


def check_restart(
    run: Run,
    spec: ModelSpec,
    dataset: Dataset,
    cfg: TrainingConfig,
    aug: AugmentationConfig,
    data_spec: DatasetSpec | None = None,
) -> Restart:
    """Check a resume continues ``run`` as recorded; where it restarts.

    ``data_spec`` is how the data was opened now: a folder found at another
    place than recorded (the fingerprint says it is the same data) is noted
    in the resume's entry.

    Raises:
        WorkbenchError: another model, augmentation or setting than the run's,
            other data, or nothing left to restart from.
    """
    config = run.config()
    recorded_aug = config.get("augmentation")
    with contextlib.suppress(WorkbenchError):  # a damaged one differs below
        # A run recorded before a transform existed has it off.
        recorded_aug = AugmentationConfig.from_dict(recorded_aug).to_dict()
    then = {"model": config.get("model"), "augmentation": recorded_aug}
    for key, now in (("model", spec.to_dict()), ("augmentation", aug.to_dict())):
        if key in config and _as_json(then[key]) != _as_json(now):
            raise WorkbenchError(
                f"{run.name} was trained with another {key}; a resume continues "
                "the run as it was recorded (start a new run to change it)"
            )
    recorded = config.get("training", {})
    with contextlib.suppress(WorkbenchError):  # a damaged one differs below
        # A run recorded before a setting existed trained with its default.
        recorded = _as_json(TrainingConfig.from_dict(recorded).to_dict())
    changed = {
        k: [recorded[k], v]
        for k, v in _as_json(cfg.to_dict()).items()
        if k in recorded and recorded[k] != v
    }
    for key, (old, new) in changed.items():
        if key not in RESUME_CHANGEABLE:
            raise WorkbenchError(
                f"{run.name} was trained with {key} {old}, not {new}: a resume "
                "may change only the epochs, fine-tuning epochs and learning rate "
                "(start a new run to change the rest)"
            )
    refuse_changed_data(config.get("dataset", {}), dataset, run.name)
    epoch, history, damaged = restart_point(run)
    two_phase = cfg.fine_tune and spec.backbone is not None
    if "epochs" in changed and two_phase and epoch >= changed["epochs"][0]:
        raise WorkbenchError(
            f"{run.name} is past its first phase; change the fine-tuning epochs"
        )
    planned = cfg.epochs + (cfg.fine_tune_epochs if two_phase else 0)
    if planned <= epoch:
        raise WorkbenchError(
            f"{run.name} has trained {epoch} of its {planned} epochs: ask for more "
            "epochs to continue it"
        )
    details: dict[str, Any] = {}
    recorded_path = recorded_data_path(config)
    if data_spec is not None and data_spec.path and data_spec.path != recorded_path:
        details["data_moved"] = [recorded_path, data_spec.path]
    return Restart(epoch, history, changed, details, damaged)


def recorded_data_path(config: dict[str, Any]) -> str | None:
    """Where the run's data is: as recorded, or where a resume last found it."""
    path = ((config.get("dataset") or {}).get("spec") or {}).get("path")
    for entry in config.get("resumes") or []:
        moved = entry.get("data_moved") if isinstance(entry, dict) else None
        if isinstance(moved, list) and len(moved) == 2 and isinstance(moved[1], str):
            path = moved[1]
    return path


def restart_point(run: Run) -> tuple[int, dict[str, list[float]], bool]:
    """The epoch the run's weights were saved at, its history up to there, and
    whether the backup is damaged.

    BackupAndRestore's backup decides when there is one (a kill may leave the
    CSV log an epoch ahead of it) and it can be read; else ``last.keras``,
    written when a session ends, which ``run.json`` dates.
    """
    history = run.history()
    epochs = len(history.get("loss", []))
    record = run.record()
    backup = run.backup_epoch()
    damaged = backup is not None and not backup_intact(run.path / "backup")
    saved = record.get("last_model_epochs", record.get("epochs_run"))
    if backup is not None and not damaged:
        keep = backup
    elif (run.path / "last.keras").is_file() and isinstance(saved, int):
        keep = saved
    elif epochs == 0 and not damaged:
        keep = 0
    else:
        raise WorkbenchError(f"{run.name} {_why_lost(run, damaged)}: start a new run")
    return keep, {k: v[:keep] for k, v in history.items()}, damaged


def _why_lost(run: Run, damaged: bool) -> str:
    """Why a run has no weights to restart from, as the record shows it."""
    if damaged:
        return (
            "has a damaged backup (cut short by a kill or a full disk) and no last "
            "model, so its weights are lost"
        )
    if not run.config().get("training", {}).get("backup_and_restore", True):
        return (
            "stopped without a backup or a last model to restart from "
            "(BackupAndRestore was off), so its weights are lost"
        )
    return "kept neither a backup nor a last model, so its weights are lost"


def continue_run(
    run: Run, restart: Restart, cfg: TrainingConfig, model: keras.Model
) -> Start:
    """Set ``run`` up to go on from ``restart``: its log cut back, the resume
    noted, and (without a backup) the weights of its last model loaded."""
    record = run.record()
    state = ResumeState.from_record(
        record, restart.history, cfg.checkpoint_monitor, run.path / "best.keras"
    )
    if "learning_rate" in restart.changed:
        state = replace(state, learning_rate=cfg.learning_rate)
    run.cut_history(restart.epoch)  # the CSV log agrees with the weights
    details = dict(restart.details)
    if restart.damaged_backup:
        _set_aside(run.path / "backup")
        details["damaged_backup"] = (
            "set aside as backup.damaged; went on from last.keras"
        )
    run.add_resume(
        {
            "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "from_epoch": restart.epoch,
            "changed": restart.changed,
            **details,
        },
        cfg.to_dict(),
    )
    note = ""
    if restart.epoch and run.backup_epoch() is None:
        note = load_last_model(model, run.path / "last.keras")
    boundary = record.get("phase_boundary")
    return Start(restart.epoch, restart.history, boundary, state, note)


def load_last_model(model: keras.Model, path: Path) -> str:
    """Load ``last.keras``'s weights and, where it holds them, its optimizer's
    state (momentum, Adam's moments); "" or one line saying the state restarts.

    Keras loads an optimizer's state only into a built optimizer, and warned
    "Skipping variable loading for optimizer" when it was not yet built.
    """
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None and not optimizer.built:
        with model.distribute_strategy.scope():  # where the model's variables live
            optimizer.build(model.trainable_variables)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.load_weights(path)
    skipped = False
    for warning in caught:  # only Keras's skip is replaced by the line returned
        if "Skipping variable loading for optimizer" in str(warning.message):
            skipped = True
        else:
            warnings.warn_explicit(
                warning.message, warning.category, warning.filename, warning.lineno
            )
    if optimizer is None or skipped or int(optimizer.iterations.numpy()) == 0:
        return (
            "the optimizer's state (momentum, moments) restarts: last.keras does "
            "not hold one that fits this model"
        )
    return ""


def _set_aside(folder: Path) -> None:
    """Move a damaged backup out of Keras's way, keeping it for a look."""
    aside = folder.with_name(folder.name + ".damaged")
    shutil.rmtree(aside, ignore_errors=True)
    folder.rename(aside)


def _as_json(value: Any) -> Any:
    """As it reads back from a JSON file (tuples become lists), for comparing."""
    return json.loads(json.dumps(value))
