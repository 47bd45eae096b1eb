"""A run's model files, written whole or not at all, and the best one kept best.

Keras writes a ``.keras`` archive in place, so a save that fails half-way (a
full disk, a kill) leaves a broken file where the previous good model was.
``save_model`` writes to a temporary file in the same folder and
``os.replace``s it, as ``core.atomic_file.write_atomic`` does for text: the old
file stays until the new one is complete.

``BestCheckpoint`` takes the place of Keras's ``ModelCheckpoint`` for three
reasons: it saves the model the user built, not the wrapper ``fit`` trains
when augmentation sits inside the model (that wrapper cannot be serialized,
and a plain ``keras.models.load_model`` must open the file); it starts from the
best value the file on disk scores, so a worse epoch after a resume never
replaces the best model; and it writes atomically, only on improvement.

That value travels inside ``best.keras`` (the archive member ``RECORD``:
monitor, value, epoch), written with the model in the same atomic replace,
so the file always says what it holds. ``run.json`` is written only when a
session ends: a kill during a resume left it naming an older best than the
file held, and the next resume let a worse epoch replace the file. Runs from
before the member existed fall back to ``run.json``, then to their history.
"""

from __future__ import annotations

import json
import math
import os
import time
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keras

from core.atomic_file import temporary_beside
from core.errors import WorkbenchError
from core.model_files.class_names import sidecar_path, write_class_names
from core.training.best_epoch import best_in_history, is_better


class ModelWriteError(WorkbenchError):
    """A model file could not be written (a full disk); the previous one is intact."""


RECORD = "cnn_workbench_checkpoint.json"  # what a best checkpoint holds


def save_model(
    model: keras.Model,
    path: str | os.PathLike[str],
    class_names: Sequence[str] | None = None,
    record: dict[str, Any] | None = None,
) -> Path:
    """Write ``model`` (its class names, and ``record`` as the archive member
    ``RECORD``) to ``path`` atomically.

    Raises:
        ModelWriteError: it could not be written; ``path`` is as it was before.
    """
    target = Path(path)
    tmp = None
    try:
        tmp = temporary_beside(target, ".keras")
        model.save(tmp)
        if class_names:
            where = write_class_names(tmp, class_names)
            if where != tmp:  # the names went to a sidecar: name it for the target
                os.replace(where, sidecar_path(target))
        if record is not None:
            with zipfile.ZipFile(tmp, "a") as archive:
                archive.writestr(RECORD, json.dumps(record))
        os.replace(tmp, target)
    except BaseException as exc:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
            sidecar_path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            reason = exc.strerror or str(exc)
            raise ModelWriteError(f"could not write {target.name}: {reason}") from exc
        raise
    return target


class BestCheckpoint(keras.callbacks.Callback):
    """Saves ``model`` to ``path`` whenever ``monitor`` improves on ``best``.

    ``best`` and ``best_epoch`` start from what a resumed run recorded and
    always describe the file on disk. ``write_seconds`` adds up the time spent
    saving (``bench/training_overhead.py`` reports it).
    """

    def __init__(
        self,
        path: Path,
        model: keras.Model,
        monitor: str,
        mode: str,
        best: float | None = None,
        best_epoch: int | None = None,
        class_names: Sequence[str] | None = None,
    ) -> None:
        super().__init__()
        self.path = path
        self.saved_model = model
        self.monitor = monitor
        self.mode = mode
        self.best = best
        self.best_epoch = best_epoch
        self.class_names = class_names
        self.write_seconds = 0.0

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        value = (logs or {}).get(self.monitor)
        if value is None or not math.isfinite(float(value)):
            return
        if not is_better(float(value), self.best, self.mode):
            return
        start = time.perf_counter()
        record = {"monitor": self.monitor, "value": float(value), "epoch": epoch}
        save_model(self.saved_model, self.path, self.class_names, record)
        self.write_seconds += time.perf_counter() - start
        self.best, self.best_epoch = float(value), epoch


@dataclass(frozen=True)
class ResumeState:
    """What a stopped run had reached, so that its resume goes on from there.

    ``best_value``/``best_epoch``: what ``best.keras`` scores and which epoch it
    is. ``callbacks``: early stopping's and ReduceLROnPlateau's counters
    (``{"early_stopping": {"wait", "best", "phase"}, "plateau": {...}}``).
    ``phases``: the run's phases so far, ``{first_epoch, epochs_run,
    stop_reason}`` each, where a two-phase run reads its boundary.
    ``learning_rate``: a rate the resume asks for, which must win over the one
    BackupAndRestore restores with the optimizer (None: keep the restored one,
    ReduceLROnPlateau's reductions included).
    """

    best_value: float | None = None
    best_epoch: int | None = None
    callbacks: dict[str, dict[str, Any]] = field(default_factory=dict)
    phases: tuple[dict[str, Any], ...] = ()
    learning_rate: float | None = None

    @classmethod
    def from_record(
        cls,
        record: dict[str, Any],
        history: dict[str, list[float]],
        monitor: str,
        best_file: Path | None = None,
    ) -> ResumeState:
        """From the best checkpoint's own record, else a run's ``run.json``; a
        killed run of an older version (neither) from its history.

        Without a recorded best the history says which epoch was best: the
        checkpoint saved exactly when the monitored value improved.
        """
        kept = checkpoint_record(best_file) if best_file is not None else None
        if kept is not None:
            value, epoch = kept["value"], kept["epoch"]
        else:
            value, epoch = record.get("best_value"), record.get("best_epoch")
        if value is None:
            found = best_in_history(history, monitor)
            epoch, value = found if found else (None, None)
        return cls(
            best_value=value,
            best_epoch=epoch,
            callbacks=dict(record.get("callback_state") or {}),
            phases=tuple(dict(p) for p in record.get("phases") or ()),
        )


def checkpoint_record(path: Path) -> dict[str, Any] | None:
    """``{"monitor", "value", "epoch"}`` a best checkpoint was saved with, or
    None (no file, a file from an older version, or a damaged one)."""
    try:
        with zipfile.ZipFile(path) as archive:
            record = json.loads(archive.read(RECORD))
        value, epoch = float(record["value"]), record["epoch"]
    except (OSError, KeyError, TypeError, ValueError, zipfile.BadZipFile):
        return None
    if not math.isfinite(value) or not isinstance(epoch, int) or epoch < 0:
        return None
    return {"monitor": record.get("monitor"), "value": value, "epoch": epoch}
