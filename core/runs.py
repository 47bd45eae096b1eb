"""Runs: one folder per training run beside the project, kept forever unless deleted.

A run folder holds what was asked (``config.json``: model, data, augmentation,
training settings), what happened (``run.json``: epochs completed, why it
stopped, best epoch, device, full history), the models Keras wrote
(``best.keras``, ``last.keras``), ``history.csv``, ``evaluation.json`` and
TensorBoard logs. Runs can be listed, compared (a table exportable as CSV) and
deleted.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from core.errors import WorkbenchError
from core.project import write_atomic

COMPARE_COLUMNS = (
    "run",
    "started",
    "epochs_run",
    "stop_reason",
    "best_epoch",
    "val_accuracy",
    "val_loss",
    "test_accuracy",
)


@dataclass(frozen=True)
class Run:
    """A run folder and what it records."""

    path: Path

    @property
    def name(self) -> str:
        return self.path.name

    def config(self) -> dict[str, Any]:
        return _read(self.path / "config.json")

    def record(self) -> dict[str, Any]:
        """``run.json``; empty while the run has not finished (or crashed)."""
        return _read(self.path / "run.json")

    def history(self) -> dict[str, list[float]]:
        """Per-epoch metrics: ``run.json``'s, or the CSV log's when it holds more.

        The CSV log gains a row per epoch while ``run.json`` is written only
        when a session ends, so a run killed (or still running) after a resume
        has the longer history in its CSV.
        """
        recorded = self.record().get("history") or {}
        try:
            logged = self.logged_history()
        except WorkbenchError:
            if recorded:  # the record is whole; only the log was damaged
                return recorded
            raise
        longer = len(logged.get("loss", [])) > len(recorded.get("loss", []))
        return logged if longer else recorded

    def logged_history(self) -> dict[str, list[float]]:
        """Per-epoch metrics from ``history.csv`` (empty without one)."""
        try:
            with open(self.path / "history.csv", newline="", encoding="utf-8") as f:
                rows = list(csv.DictReader(f))
        except FileNotFoundError:
            return {}
        keys = [k for k in (rows[0] if rows else {}) if k != "epoch"]
        try:
            return {k: [float(r[k]) for r in rows] for k in keys}
        except (TypeError, ValueError) as exc:
            raise WorkbenchError(
                f"{self.path / 'history.csv'} is damaged ({exc})"
            ) from None

    def cut_history(self, epochs: int) -> None:
        """Keep the first ``epochs`` rows of ``history.csv`` (atomically).

        A resume calls this so the log and the restored weights agree: the
        epochs after the backup it restarts from are trained again.
        """
        path = self.path / "history.csv"
        try:
            lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        except FileNotFoundError:
            return
        if len(lines) > epochs + 1:
            write_atomic(path, "".join(lines[: epochs + 1]))

    def backup_epoch(self) -> int | None:
        """The epochs BackupAndRestore's backup holds (it restarts there), or None."""
        path = self.path / "backup" / "training_metadata.json"
        try:
            epoch = json.loads(path.read_text(encoding="utf-8"))["epoch"]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return epoch if isinstance(epoch, int) and epoch >= 0 else None

    def add_resume(self, entry: dict[str, Any], training: dict[str, Any]) -> None:
        """Note a resume in ``config.json``: the settings it trains with now and
        the entry (when, from which epoch, what changed) that ``run.json``'s
        ``resumes`` repeats; kept here too so a kill during the resume keeps it.
        """
        config = self.config()
        config["training"] = training
        config["resumes"] = [*config.get("resumes", []), entry]
        write_atomic(self.path / "config.json", json.dumps(config, indent=2))

    def save_evaluation(self, evaluation: dict[str, Any]) -> None:
        write_atomic(self.path / "evaluation.json", json.dumps(evaluation, indent=2))

    def model_file(self) -> Path | None:
        """The best model the run kept (``best.keras``), else its last, else None."""
        for name in ("best.keras", "last.keras"):
            if (self.path / name).is_file():
                return self.path / name
        return None

    def class_names(self) -> list[str]:
        """The class names the run trained on, from its config (empty if none)."""
        return list(self.config().get("dataset", {}).get("classes") or [])

    def kept_model(self) -> tuple[Path, list[str]] | None:
        """The model file the run kept (``model_file``) and its class names.

        None when it kept no model. A model is useless without the names of
        its classes, so a run that lost them is refused rather than skipped.

        Raises:
            WorkbenchError: the run kept a model but records no classes.
        """
        model = self.model_file()
        if model is None:
            return None
        classes = self.class_names()
        if not classes:
            raise WorkbenchError(f"{self.path}: the run does not record its classes")
        return model, classes

    def evaluation(self) -> dict[str, Any]:
        return _read(self.path / "evaluation.json")

    def summary_row(self) -> dict[str, Any]:
        record, evaluation = self.record(), self.evaluation()
        history = self.history()
        best = record.get("best_epoch")
        first = record.get("initial_epoch", 0)

        def at_best(key: str) -> float | None:
            values = history.get(key) or []
            if not values:
                return None
            i = (
                best - first
                if isinstance(best, int) and 0 <= best - first < len(values)
                else -1
            )
            return round(float(values[i]), 4)

        return {
            "run": self.name,
            "started": self.config().get("started", ""),
            "epochs_run": record.get("epochs_run", len(history.get("loss", []))),
            "stop_reason": record.get("stop_reason", "unfinished"),
            "best_epoch": None if best is None else best + 1,
            "val_accuracy": at_best("val_accuracy"),
            "val_loss": at_best("val_loss"),
            "test_accuracy": evaluation.get("accuracy"),
        }


class RunStore:
    """The ``runs/`` folder of a project."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    @classmethod
    def beside(cls, project_file: str | Path) -> RunStore:
        """``<project name>.runs/`` next to the project file."""
        p = Path(project_file)
        stem = p.name.removesuffix(".cnnwb.json").removesuffix(".json")
        return cls(p.parent / f"{stem}.runs")

    def create(self, label: str, config: dict[str, Any]) -> Run:
        """A new run folder named by time and label, with its config written."""
        now = datetime.now(timezone.utc)
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", label).strip("-") or "run"
        path = self.root / f"{now:%Y%m%d-%H%M%S}-{slug}"
        suffix = 1
        while path.exists():
            suffix += 1
            path = self.root / f"{now:%Y%m%d-%H%M%S}-{slug}-{suffix}"
        path.mkdir(parents=True)
        write_atomic(
            path / "config.json",
            json.dumps(
                {"started": now.isoformat(timespec="seconds"), **config}, indent=2
            ),
        )
        return Run(path)

    def finish(
        self, run: Run, record: dict[str, Any], evaluation: dict[str, Any] | None = None
    ) -> None:
        write_atomic(run.path / "run.json", json.dumps(record, indent=2, default=str))
        if evaluation is not None:
            run.save_evaluation(evaluation)

    def list(self) -> list[Run]:
        """Oldest first; folders without a config are not runs and are ignored."""
        if not self.root.is_dir():
            return []
        return [
            Run(p) for p in sorted(self.root.iterdir()) if (p / "config.json").is_file()
        ]

    def newest_model(self) -> tuple[Path, list[str]] | None:
        """The newest run's kept model and class names (``Run.kept_model``).

        Runs that kept no model (stopped before their first epoch ended) are
        passed over; None when no run kept one. The app's export and
        ``python -m core export PROJECT`` both take the model from here.
        """
        for run in reversed(self.list()):
            found = run.kept_model()
            if found is not None:
                return found
        return None

    def compare(self, runs: list[Run] | None = None) -> list[dict[str, Any]]:
        return [r.summary_row() for r in (runs if runs is not None else self.list())]

    def export_csv(self, path: str | Path, runs: list[Run] | None = None) -> Path:
        target = Path(path)
        with open(target, "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=COMPARE_COLUMNS)
            writer.writeheader()
            writer.writerows(self.compare(runs))
        return target

    def delete(self, run: Run) -> None:
        if run.path.parent.resolve() != self.root.resolve():
            raise WorkbenchError(f"{run.path} is not a run of {self.root}")
        shutil.rmtree(run.path)


def newest_run_model(store: RunStore) -> tuple[Any, list[str]] | None:
    """``store.newest_model()`` loaded: (Keras model, class names), or None."""
    from core.inference.loading import load_model_file

    found = store.newest_model()
    return None if found is None else (load_model_file(found[0]), found[1])


def _read(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise WorkbenchError(f"{path} is damaged ({exc})") from None
