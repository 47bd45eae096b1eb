"""Resuming a run in its folder: what may change, and where training restarts.

``run_session`` continues a run only as it was recorded: the same model,
augmentation and data (its fingerprint), with only ``RESUME_CHANGEABLE``
settings changed, from the epoch its saved weights hold. Kept apart from the
session so the rules a resume follows read in one place.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any

import keras

from core.augmentation.config import AugmentationConfig
from core.data.dataset import Dataset
from core.errors import WorkbenchError
from core.runs import Run
from core.spec import ModelSpec
from core.training.checkpoint import ResumeState
from core.training.config import TrainingConfig
from core.training.fingerprint import refuse_changed_data

# What a resume may change; anything else would make the record lie about the run.
RESUME_CHANGEABLE = ("epochs", "fine_tune_epochs", "learning_rate")


@dataclass
class Restart:
    """Where a resume continues: the epochs kept, their history, what changed."""

    epoch: int
    history: dict[str, list[float]]
    changed: dict[str, list[Any]]


@dataclass
class Start:
    """Where this session's training starts, from a resumed run's record."""

    epoch: int = 0
    history: dict[str, list[float]] = field(default_factory=dict)
    boundary: int | None = None
    state: ResumeState | None = None


def check_restart(
    run: Run,
    spec: ModelSpec,
    dataset: Dataset,
    cfg: TrainingConfig,
    aug: AugmentationConfig,
) -> Restart:
    """Check a resume continues ``run`` as recorded; where it restarts.

    Raises:
        WorkbenchError: another model, augmentation or setting than the run's,
            other data, or nothing left to restart from.
    """
    config = run.config()
    for key, now in (("model", spec.to_dict()), ("augmentation", aug.to_dict())):
        if key in config and _as_json(config[key]) != _as_json(now):
            raise WorkbenchError(
                f"{run.name} was trained with another {key}; a resume continues "
                "the run as it was recorded (start a new run to change it)"
            )
    recorded = config.get("training", {})
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
    epoch, history = restart_point(run)
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
    return Restart(epoch, history, changed)


def restart_point(run: Run) -> tuple[int, dict[str, list[float]]]:
    """The epoch the run's weights were saved at, and its history up to there.

    BackupAndRestore's backup decides when there is one (a kill may leave the
    CSV log an epoch ahead of it); else ``last.keras``, written when a
    session ends, which ``run.json`` dates.
    """
    history = run.history()
    epochs = len(history.get("loss", []))
    record = run.record()
    backup = run.backup_epoch()
    saved = record.get("last_model_epochs", record.get("epochs_run"))
    if backup is not None:
        keep = backup
    elif (run.path / "last.keras").is_file() and isinstance(saved, int):
        keep = saved
    elif epochs == 0:
        keep = 0
    else:
        raise WorkbenchError(
            f"{run.name} stopped without a backup or a last model to restart from "
            "(BackupAndRestore was off), so its weights are lost: start a new run"
        )
    return keep, {k: v[:keep] for k, v in history.items()}


def continue_run(
    run: Run, restart: Restart, cfg: TrainingConfig, model: keras.Model
) -> Start:
    """Set ``run`` up to go on from ``restart``: its log cut back, the resume
    noted, and (without a backup) the weights of its last model loaded."""
    record = run.record()
    state = ResumeState.from_record(record, restart.history, cfg.checkpoint_monitor)
    if "learning_rate" in restart.changed:
        state = replace(state, learning_rate=cfg.learning_rate)
    run.cut_history(restart.epoch)  # the CSV log agrees with the weights
    run.add_resume(
        {
            "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "from_epoch": restart.epoch,
            "changed": restart.changed,
        },
        cfg.to_dict(),
    )
    if restart.epoch and run.backup_epoch() is None:
        model.load_weights(run.path / "last.keras")
    return Start(restart.epoch, restart.history, record.get("phase_boundary"), state)


def _as_json(value: Any) -> Any:
    """As it reads back from a JSON file (tuples become lists), for comparing."""
    return json.loads(json.dumps(value))
