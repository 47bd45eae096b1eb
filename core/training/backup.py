"""The run's backup: Keras's BackupAndRestore, made safe to lose power or disk.

Keras writes ``latest.weights.h5`` in place through HDF5. On a full disk that
crashed the process inside HDF5 (exit 139, which no ``except`` catches) and
left a half-written file that made every later resume fail; and at the end
of a completed ``fit`` it deletes the backup before the run's last model is
written, so a run that then could not write ``last.keras`` kept no model at
all. ``RunBackup`` differs in three ways:

- before writing, it checks the free space against the previous backup's
  size (the first time, against the size of the model's and optimizer's
  variables) and stops the run with ``ModelWriteError`` when it would not fit;
- it writes the weights and the epoch to temporary files and renames them
  into place, so a kill or a full disk leaves the previous backup whole;
- it never deletes itself: the engine calls ``discard`` once the run's last
  model is safely written (and between a two-phase run's phases, as Keras did).

``backup_intact`` tells a resume whether a backup (one written by an older
version, or by Keras itself) can be read, so a damaged one is set aside and
the run continues from ``last.keras`` instead.
"""

from __future__ import annotations

import json
import math
import os
import shutil
from pathlib import Path

import keras
import numpy as np

from core.atomic_file import write_atomic
from core.training.checkpoint import ModelWriteError

WEIGHTS = "latest.weights.h5"
METADATA = "training_metadata.json"
_SLACK = 1.1  # HDF5's own overhead over the raw variables, with room to spare
_MARGIN = 64 << 10  # bytes left free besides the backup, for the logs


class RunBackup(keras.callbacks.BackupAndRestore):
    """BackupAndRestore that checks the space, writes atomically, keeps itself.

    Example:
        >>> backup = RunBackup(run_dir / "backup")
        >>> model.fit(..., callbacks=[backup]); save_last(); backup.discard()
    """

    def __init__(self, folder: Path) -> None:
        super().__init__(str(folder), delete_checkpoint=False)
        self.folder = folder

    def _save_model(self) -> None:  # Keras's hook, called after every epoch
        self.folder.mkdir(parents=True, exist_ok=True)
        weights = self.folder / WEIGHTS
        self._check_space(weights)
        partial = self.folder / f".partial.{WEIGHTS}"  # Keras wants .weights.h5
        try:
            self.model.save_weights(partial, overwrite=True)
            os.replace(partial, weights)
            epoch = {"epoch": self._current_epoch, "batch": self._last_batch_seen}
            write_atomic(self.folder / METADATA, json.dumps(epoch))
        except (OSError, RuntimeError) as exc:  # h5py raises both
            partial.unlink(missing_ok=True)
            reason = getattr(exc, "strerror", None) or str(exc)
            raise ModelWriteError(f"could not write the backup: {reason}") from exc

    def _check_space(self, weights: Path) -> None:
        try:
            needed = weights.stat().st_size
        except OSError:  # the first backup: as big as the variables it holds
            needed = _variable_bytes(self.model)
        needed = math.ceil(needed * _SLACK) + _MARGIN
        free = shutil.disk_usage(self.folder).free
        if free < needed:
            raise ModelWriteError(
                f"could not write the backup: {_mb(free)} free on the run "
                f"folder's disk, about {_mb(needed)} needed"
            )

    def discard(self) -> None:
        """Delete the backup: the run's last model holds its state now."""
        shutil.rmtree(self.folder, ignore_errors=True)


def backup_intact(folder: Path) -> bool:
    """Whether every array in the backup's weights file reads back.

    A truncated file does not open; a half-written one may open and fail on
    an array (h5py's RuntimeError), so each is read, as a restore would.
    """
    import h5py

    def read(name: str, item: object) -> None:
        if isinstance(item, h5py.Dataset):
            item[()]

    try:
        with h5py.File(folder / WEIGHTS, "r") as weights:
            weights.visititems(read)
    except (OSError, RuntimeError, ValueError, KeyError):
        return False
    return True


def _variable_bytes(model: keras.Model) -> int:
    variables = list(model.variables)
    if model.optimizer is not None:
        variables += list(model.optimizer.variables)
    return sum(
        int(np.prod(v.shape))
        * np.dtype(keras.backend.standardize_dtype(v.dtype)).itemsize
        for v in variables
    )


def _mb(size: int) -> str:
    return f"{size / 1e6:.1f} MB"
