"""A sweep's folder: which runs are its trials, kept beside the runs.

``RUNS/sweeps/NAME/`` in the project's runs folder (a folder that holds no
run, so the runs list ignores it, and a save of an unsaved project moves it
with the runs)::

    sweep.json          the spec, the objective, the project's settings it
                        started from, its state and the seconds it has run
    trials/ID.json      one per trial: the values tried, its run folder's
                        name, status, score, epochs, seconds, message
    tuner/              KerasTuner's own files (its oracle's state)

Every file is written atomically (``core.atomic_file``). A trial's file is
written by the process running the trial, and only that one (a distributed
sweep's workers each write their own trials'), so no two processes ever
write one file. Reading a sweep back (the GUI's table, ``results``) reads
these files alone: no KerasTuner, no Keras, nothing recomputed.
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from core.atomic_file import write_atomic
from core.errors import WorkbenchError
from core.runs import _read
from core.runs import _write_json as write_json
from core.sweeps.objective import Objective

SWEEPS_FOLDER = "sweeps"
SWEEP_FILE = "sweep.json"
TRIALS_FOLDER = "trials"
TUNER_FOLDER = "tuner"
VERSION = 1
# A trial's status.
RUNNING = "running"
COMPLETED = "completed"
FAILED = "failed"
STOPPED = "stopped"  # by Stop or a kill: the sweep continues it later
# A sweep's state.
SWEEPING = "running"
PAUSED = "stopped"
ENDED = "finished"


@dataclass
class TrialRecord:
    """One trial of a sweep, as ``trials/ID.json`` keeps it.

    ``values`` are the varied settings by key (``core.sweeps.space``);
    ``run`` is the run folder's name in the runs folder (None until the run
    began, and for a trial refused before it). ``best_epoch`` is 1-based.
    Hyperband's trials also have ``epochs_goal`` (the epochs it trains to),
    ``initial_epoch`` and ``continues`` (the trial whose run it goes on from).
    """

    trial_id: str
    values: dict[str, Any]
    status: str = RUNNING
    run: str | None = None
    score: float | None = None
    best_epoch: int | None = None
    epochs: int = 0
    seconds: float = 0.0
    message: str = ""
    tuner_id: str = ""
    started: str = ""
    ended: str = ""
    epochs_goal: int | None = None
    initial_epoch: int = 0
    continues: str | None = None

    @property
    def number(self) -> int:
        """The trial's place in the sweep, from 1 (KerasTuner counts from 0)."""
        return int(self.trial_id) + 1

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any, where: str) -> TrialRecord:
        """Raises WorkbenchError naming ``where`` when ``data`` is no record."""
        known = {f.name for f in fields(cls)}
        if not isinstance(data, dict) or not {"trial_id", "values"} <= set(data):
            raise WorkbenchError(f"{where} is damaged (not a trial's record)")
        try:
            return cls(**{k: v for k, v in data.items() if k in known})
        except TypeError as exc:
            raise WorkbenchError(f"{where} is damaged ({exc})") from None


@dataclass(frozen=True)
class SweepFolder:
    """A sweep's folder (see the module docstring)."""

    path: Path

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def runs_root(self) -> Path:
        """The runs folder its trials' runs are in."""
        return self.path.parent.parent

    @property
    def tuner_dir(self) -> Path:
        return self.path / TUNER_FOLDER

    def record(self) -> dict[str, Any]:
        """``sweep.json`` as written (empty when there is none)."""
        return _read(self.path / SWEEP_FILE)

    def objective(self) -> Objective:
        found = self.record().get("objective") or {}
        name = found.get("name", "val_accuracy")
        return Objective(name, found.get("direction", "max"))

    def varied(self) -> list[str]:
        """The keys the sweep varies, in its spec's order."""
        return list((self.record().get("spec") or {}).get("vary") or {})

    def update(self, **changes: Any) -> None:
        """Set fields of ``sweep.json`` (``state``, ``seconds``, ``reason``)."""
        write_json(self.path / SWEEP_FILE, {**self.record(), **changes})

    def trials(self) -> list[TrialRecord]:
        """Every trial recorded so far, in the order the search made them."""
        folder = self.path / TRIALS_FOLDER
        if not folder.is_dir():
            return []
        found = [TrialRecord.from_dict(_read(p), str(p)) for p in folder.glob("*.json")]
        return sorted(found, key=lambda t: t.number)

    def trial(self, trial_id: str) -> TrialRecord | None:
        path = self.path / TRIALS_FOLDER / f"{trial_id}.json"
        return TrialRecord.from_dict(_read(path), str(path)) if path.exists() else None

    def save_trial(self, trial: TrialRecord) -> None:
        path = self.path / TRIALS_FOLDER / f"{trial.trial_id}.json"
        write_json(path, trial.to_dict())

    def best(self) -> TrialRecord | None:
        """The completed trial with the best score, or None."""
        objective = self.objective()
        best = None
        for trial in self.trials():
            if trial.status != COMPLETED or trial.score is None:
                continue
            if best is None or objective.better(trial.score, best.score or 0.0):
                best = trial
        return best

    def results(self) -> list[dict[str, Any]]:
        """One row per trial for a table or CSV: its number, status, the
        values it tried (a column per varied key), score, epochs, minutes,
        run folder and message."""
        keys, objective = self.varied(), self.objective().name
        return [
            {
                "trial": t.number,
                "status": t.status,
                **{k: t.values.get(k) for k in keys},
                objective: t.score,
                "best_epoch": t.best_epoch,
                "epochs": t.epochs,
                "minutes": round(t.seconds / 60, 2),
                "run": t.run,
                "message": t.message,
            }
            for t in self.trials()
        ]

    def export_csv(self, path: str | Path) -> Path:
        """``results`` as a CSV file, written atomically."""
        rows = self.results()
        columns = list(rows[0]) if rows else ["trial", "status"]
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        target = Path(path)
        write_atomic(target, out.getvalue())
        return target


def sweeps_root(runs_root: str | Path) -> Path:
    """Where a runs folder keeps its sweeps."""
    return Path(runs_root) / SWEEPS_FOLDER


def list_sweeps(runs_root: str | Path) -> list[SweepFolder]:
    """The sweeps of a runs folder, by name (folders without sweep.json are
    not sweeps and are ignored)."""
    root = sweeps_root(runs_root)
    if not root.is_dir():
        return []
    return [
        SweepFolder(p) for p in sorted(root.iterdir()) if (p / SWEEP_FILE).is_file()
    ]


def open_sweep(runs_root: str | Path, name: str) -> SweepFolder | None:
    """The sweep ``name`` of a runs folder, or None when it has none by that name."""
    folder = SweepFolder(sweeps_root(runs_root) / name)
    return folder if (folder.path / SWEEP_FILE).is_file() else None


def new_sweep(runs_root: str | Path, name: str, content: dict[str, Any]) -> SweepFolder:
    """Make the sweep's folder and its ``sweep.json`` (``content`` plus the
    version, when it began and its state)."""
    folder = SweepFolder(sweeps_root(runs_root) / name)
    (folder.path / TRIALS_FOLDER).mkdir(parents=True, exist_ok=True)
    write_json(
        folder.path / SWEEP_FILE,
        {
            "version": VERSION,
            "created": now(),
            "state": SWEEPING,
            "seconds": 0.0,
            **content,
        },
    )
    return folder


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
