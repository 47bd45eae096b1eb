"""Where an unsaved project's runs live, and moving them beside it once saved.

Each unsaved project trains into a folder of its own (``runs/untitled-<id>``
in the user data folder), so two unsaved projects never mix their runs. When
the project gets a file, its runs move to ``<name>.runs/`` beside it, the
folder the Runs tab and ``python -m core runs|export PROJECT`` read.
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
from pathlib import Path

from core.errors import WorkbenchError
from core.paths import user_data_dir
from core.run_lock import locked_run

UNTITLED_PREFIX = "untitled-"

log = logging.getLogger(__name__)


def untitled_runs_dir(scratch_id: str) -> Path:
    """The runs folder of the unsaved project ``scratch_id`` names."""
    return user_data_dir() / "runs" / f"{UNTITLED_PREFIX}{scratch_id}"


def legacy_untitled_runs_dir() -> Path:
    """Where versions before per-project folders put every unsaved project's runs."""
    return user_data_dir() / "runs" / "untitled"


def is_training(run_folder: Path) -> bool:
    """Whether a process (this one included) holds the run's training lock."""
    if not (run_folder / "train.lock").exists():
        return False
    try:
        with locked_run(run_folder):
            return False
    except WorkbenchError:
        return True


def move_runs(source: Path, target: Path) -> list[Path]:
    """Move every run folder of ``source`` into ``target``; return the new folders.

    Each run moves whole or not at all (a rename, or a copy then delete across
    file systems that leaves the original until the copy is complete). A run
    still training is skipped: it moves when it ends (call again). A name
    already taken in ``target`` gets a numbered suffix instead of mixing two
    runs. ``source`` is removed once empty.
    """
    if not source.is_dir() or source.resolve() == target.resolve():
        return []
    moved = []
    for run in sorted(p for p in source.iterdir() if p.is_dir()):
        if is_training(run):
            continue
        destination = _free_name(target / run.name)
        destination.parent.mkdir(parents=True, exist_ok=True)
        try:
            _move_whole(run, destination)
        except OSError as exc:  # open elsewhere (Windows), or no room
            log.warning("could not move run %s to %s: %s", run, destination, exc)
            continue
        moved.append(destination)
    if not any(source.iterdir()):
        source.rmdir()
    return moved


def _move_whole(run: Path, destination: Path) -> None:
    try:
        os.replace(run, destination)
        return
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
    # Another file system: copy under a hidden name, then rename it in.
    partial = destination.with_name(f".{destination.name}.partial")
    try:
        shutil.copytree(run, partial)
        os.replace(partial, destination)
    except OSError:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    shutil.rmtree(run)


def _free_name(path: Path) -> Path:
    candidate, n = path, 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.name}-{n}")
    return candidate
