"""Runs: one folder per training run beside the project, kept forever unless deleted.

A run folder holds what was asked (``config.json``: model, data, augmentation,
training settings), what happened (``run.json``: epochs completed, why it
stopped, best epoch, device, full history, which file is the run's model:
``core.run_record``), the models Keras wrote (``best.keras``, ``last.keras``:
``core.run_model`` says which is the run's), ``history.csv``,
``evaluation.json`` (the test figures of the run's model, written when it
ended), ``evaluations/`` (each evaluation asked for later, never over the
run's own) and TensorBoard logs. Runs can be listed, compared (a table
exportable as CSV; a damaged run is listed and marked, never hides the rest)
and deleted.
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
from core.run_model import FILES, FINAL, LABELS, RunModel, run_model
from core.run_record import RECORD_VERSION, RunRecord, finite

COMPARE_COLUMNS = (
    "run",
    "started",
    "epochs_run",
    "stop_reason",
    "best_epoch",
    "val_accuracy",
    "val_loss",
    "test_accuracy",
    "tested_model",
)
DAMAGED = "damaged"  # a run's stop_reason in the listing when it cannot be read


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
        """``run.json``, checked; empty while the run has not finished (or crashed).

        Its history's nulls (JSON has no NaN) come back as NaN.

        Raises:
            WorkbenchError: ``run.json`` is damaged or holds wrong types.
        """
        raw = _read(self.path / "run.json")
        if not raw:
            return raw
        typed = RunRecord.from_dict(raw, str(self.path / "run.json"))
        return {**raw, "history": typed.history} if "history" in raw else raw

    def run_record(self) -> RunRecord | None:
        """``run.json`` typed; None while the run has not finished (or crashed)."""
        raw = _read(self.path / "run.json")
        return RunRecord.from_dict(raw, str(self.path / "run.json")) if raw else None

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

    def save_evaluation(self, evaluation: dict[str, Any], kind: str | None) -> None:
        """The test figures of the run's model when it ended; ``kind`` names it."""
        figures = {**evaluation, "model": kind, "model_file": FILES.get(kind or "")}
        _write_json(self.path / "evaluation.json", figures)

    def add_evaluation(self, evaluation: dict[str, Any], model: RunModel) -> Path:
        """An evaluation asked for later, in ``evaluations/``, beside the run's own.

        Each gets its own file, named by when and what was evaluated, so the
        figures the run recorded are never overwritten.
        """
        now = datetime.now(timezone.utc)
        folder = self.path / "evaluations"
        folder.mkdir(exist_ok=True)
        path = folder / f"{now:%Y%m%d-%H%M%S-%f}-{model.kind}.json"
        figures = {
            **evaluation,
            "model": model.kind,
            "model_file": model.path.name,
            "evaluated": now.isoformat(timespec="seconds"),
        }
        _write_json(path, figures)
        return path

    def model_file(self) -> Path | None:
        """The run's model file (``core.run_model``: best, else last), or None."""
        found = run_model(self.path)
        return None if found is None else found.path

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
        """``evaluation.json``: the figures recorded when the run ended (or {})."""
        return _read(self.path / "evaluation.json")

    def evaluation_model(self) -> str | None:
        """Which model ``evaluation.json``'s figures belong to (BEST or FINAL).

        A file written before the run-model rule names none: the session had
        scored the weights in memory, i.e. the final weights, except for a
        stopped run, scored only on request from its best (else last) file.
        """
        evaluation = self.evaluation()
        if not evaluation:
            return None
        kind = evaluation.get("model")
        if kind in FILES:
            return kind
        record = self.record()
        if record.get("stop_reason") == "cancelled":
            found = run_model(self.path)
            return found.kind if found else FINAL
        return FINAL

    def requested_evaluations(self) -> list[dict[str, Any]]:
        """The evaluations asked for later (``add_evaluation``), oldest first."""
        folder = self.path / "evaluations"
        if not folder.is_dir():
            return []
        return [_read(p) for p in sorted(folder.glob("*.json"))]

    def test_figures(self) -> tuple[dict[str, Any], str] | None:
        """The test figures the run shows, and the kind of model they belong to.

        The run's model's: those recorded when it ended, else the newest
        evaluation of it asked for later. An older run whose only figures are
        of its final weights shows those, named as such (never re-scored). A
        run that kept no model shows none: older versions tested the NaN
        weights of a run that diverged in its first epoch.
        """
        found = run_model(self.path)
        if found is None:
            return None
        own = found.kind
        recorded, kind = self.evaluation(), self.evaluation_model()
        if recorded and kind == own:
            return recorded, kind
        later = [e for e in self.requested_evaluations() if e.get("model") == own]
        if later:
            return later[-1], own
        if recorded:
            return recorded, kind or FINAL
        return None

    def summary_row(self) -> dict[str, Any]:
        record = self.record()
        history = self.history()
        best = record.get("best_epoch")
        first = record.get("initial_epoch", 0)
        figures = self.test_figures()

        def at_best(key: str) -> float | None:
            values = history.get(key) or []
            if not values:
                return None
            i = (
                best - first
                if isinstance(best, int)
                and isinstance(first, int)
                and 0 <= best - first < len(values)
                else -1
            )
            return _shown(values[i])

        return {
            "run": self.name,
            "started": self.config().get("started", ""),
            "epochs_run": record.get("epochs_run", len(history.get("loss", []))),
            "stop_reason": record.get("stop_reason", "unfinished"),
            "best_epoch": None if best is None else best + 1,
            "val_accuracy": at_best("val_accuracy"),
            "val_loss": at_best("val_loss"),
            "test_accuracy": _shown(figures[0].get("accuracy")) if figures else None,
            "tested_model": LABELS[figures[1]] if figures else None,
        }

    def damaged_row(self, problem: str) -> dict[str, Any]:
        """The listing's row for a run that cannot be read: its name and why."""
        row: dict[str, Any] = dict.fromkeys(COMPARE_COLUMNS)
        return {**row, "run": self.name, "stop_reason": DAMAGED, "problem": problem}


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
        self,
        run: Run,
        record: dict[str, Any],
        evaluation: dict[str, Any] | None = None,
        kind: str | None = None,
    ) -> None:
        """Write ``run.json`` (a ``RunRecord``, this version) and the run's figures.

        ``kind`` is the model ``evaluation`` belongs to (``core.run_model``).
        It is checked as it will be read (``RunRecord.from_dict``), so a run
        never records what it could not read back; paths are written as text.
        """
        plain = json.loads(json.dumps(finite(record), default=str))
        typed = RunRecord.from_dict({**plain, "version": RECORD_VERSION})
        _write_json(run.path / "run.json", typed.to_dict())
        if evaluation is not None:
            run.save_evaluation(evaluation, kind)

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
        """One row per run; a run that cannot be read is marked (``damaged_row``)."""
        rows = []
        for run in runs if runs is not None else self.list():
            try:
                rows.append(run.summary_row())
            except (WorkbenchError, OSError) as exc:
                rows.append(run.damaged_row(str(exc)))
        return rows

    def export_csv(self, path: str | Path, runs: list[Run] | None = None) -> Path:
        target = Path(path)
        with open(target, "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(
                f, fieldnames=COMPARE_COLUMNS, extrasaction="ignore"
            )
            writer.writeheader()
            writer.writerows(self.compare(runs))
        return target

    def delete(self, run: Run) -> None:
        if run.path.parent.resolve() != self.root.resolve():
            raise WorkbenchError(f"{run.path} is not a run of {self.root}")
        shutil.rmtree(run.path)


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise WorkbenchError(f"{path} is damaged ({exc})") from None
    if not isinstance(data, dict):
        raise WorkbenchError(f"{path} is damaged (not a JSON object)")
    return data


def _write_json(path: Path, data: dict[str, Any]) -> None:
    """Atomically, with no NaN or infinity: JSON has none (they become null)."""
    text = json.dumps(finite(data), indent=2, default=str, allow_nan=False)
    write_atomic(path, text)


def _shown(value: Any) -> float | None:
    """A figure as the comparison shows it: 4 decimals (a test accuracy of
    79/240 filled its column with 0.329166...66666666), NaN or none as None."""
    if value is None:
        return None
    value = float(value)
    return round(value, 4) if value == value else None
