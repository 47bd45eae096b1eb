"""One trial of a sweep: an ordinary run of the project, through ``run_session``.

The run is made in the project's runs folder like any other (listable,
comparable, exportable, resumable with ``python -m core train --resume``);
its ``config.json`` also names the sweep and the trial. It trains and
validates and is never evaluated on the test split (``test=False``): the
sweep picks settings by validation, and a test figure seen while picking is
no longer a test. The trial's score is the run model's on the objective
(``core.sweeps.objective``).

How a trial maps to runs:

- a new trial makes a new run, whose name the trial's record keeps as soon
  as the folder exists;
- a trial that was stopped (Stop, Ctrl+C, a kill) resumes its own run where
  the run's backup left it; a run that cannot be resumed (its weights were
  lost) is started again, and the record says why;
- a Hyperband trial that continues an earlier one (``continues``) starts
  from a copy of that trial's run folder, resumed to ``epochs_goal`` epochs:
  each trial keeps a run of its own, and the earlier run stays as its trial
  scored it.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from core.data.dataset import Dataset
from core.errors import WorkbenchError
from core.project import Project
from core.run_lock import RunLocked
from core.runs import Run, RunStore
from core.sweeps.folder import (
    COMPLETED,
    FAILED,
    RUNNING,
    STOPPED,
    SweepFolder,
    TrialRecord,
    now,
)
from core.sweeps.objective import Objective, run_score
from core.sweeps.trial_settings import trial_settings
from core.training.events import StopReason, TrainingListener
from core.training.session import SessionResult, run_session

# Files of a run folder a continued copy leaves behind: its config is written
# afresh, and a lock belongs to the folder it locks.
_NOT_COPIED = ("config.json", "train.lock")


class TrialStopped(WorkbenchError):
    """The trial was stopped; its record says so and names its run."""


class TrialFailed(WorkbenchError):
    """The trial failed; its record says why."""


@dataclass
class TrialContext:
    """What every trial of one sweep session shares."""

    folder: SweepFolder
    project: Project
    dataset: Dataset
    objective: Objective
    cancel: threading.Event
    listener: TrainingListener | None = None
    tuner_id: str = ""


@dataclass(frozen=True)
class Step:
    """Hyperband's part of a trial: the epochs it trains to, from which epoch,
    and the trial whose run it continues (None: a new run)."""

    epochs_goal: int
    initial_epoch: int = 0
    continues: str | None = None


def run_trial(
    context: TrialContext,
    trial_id: str,
    values: dict[str, Any],
    step: Step | None = None,
) -> TrialRecord:
    """Run trial ``trial_id`` with ``values`` (or continue it); its record.

    Raises:
        TrialStopped: stopped; recorded so, its run kept for the sweep to
            continue.
        TrialFailed: refused or failed; recorded with the reason.
    """
    folder = context.folder
    record = folder.trial(trial_id)
    if record is None or record.status not in (RUNNING, STOPPED):
        record = TrialRecord(trial_id, dict(values), started=now())
        if step is not None:
            record.epochs_goal = step.epochs_goal
            record.initial_epoch = step.initial_epoch
            record.continues = step.continues
    record.status, record.tuner_id, record.message = RUNNING, context.tuner_id, ""
    folder.save_trial(record)
    began, earlier = time.monotonic(), record.seconds

    def end(status: str, message: str = "") -> TrialRecord:
        record.status, record.message, record.ended = status, message, now()
        record.seconds = earlier + time.monotonic() - began
        folder.save_trial(record)
        return record

    try:
        outcome = _train(context, record, step)
    except WorkbenchError as exc:
        end(FAILED, str(exc))
        raise TrialFailed(str(exc)) from None
    result = outcome.result
    record.epochs = result.epochs_run
    if result.cancelled:
        end(STOPPED, f"stopped after epoch {result.epochs_run}")
        raise TrialStopped(f"trial {record.number} stopped")
    if result.stop_reason in (StopReason.DIVERGED, StopReason.FAILED):
        end(FAILED, result.message or result.stop_reason.value)
        raise TrialFailed(record.message)
    score, best_epoch = (None, None)
    if outcome.run is not None:
        score, best_epoch = run_score(outcome.run, context.objective)
    if score is None:
        end(FAILED, f"the run kept no {context.objective.name} to score it by")
        raise TrialFailed(record.message)
    record.score, record.best_epoch = score, best_epoch
    return end(COMPLETED, "; ".join(filter(None, (record.message, result.message))))


def _train(
    context: TrialContext, record: TrialRecord, step: Step | None
) -> SessionResult:
    """The trial's run: resumed when it has one, else new (or a copy to go on)."""
    settings = trial_settings(context.project, record.values)
    cfg = settings.training
    if step is not None:
        cfg = replace(cfg, epochs=step.epochs_goal)
    root = context.folder.runs_root

    def recorded(run: Run) -> None:
        record.run = run.name
        context.folder.save_trial(record)

    store = _TrialStore(root, context.folder.name, record.trial_id, recorded)
    label = f"{context.folder.name}-trial-{record.number}"

    def session(resume: Run | None) -> SessionResult:
        return run_session(
            settings.model,
            dataset=context.dataset,
            cfg=cfg,
            augmentation=settings.augmentation,
            listener=context.listener,
            cancel=context.cancel,
            store=store,
            label=label,
            resume=resume,
            data_spec=context.project.dataset,
            test=False,
        )

    resume = None
    if record.run is not None and (root / record.run).is_dir():
        resume = Run(root / record.run)
    elif step is not None and step.continues is not None:
        resume = _continued_copy(context, store, label, step.continues)
        recorded(resume)
    if resume is None:
        return session(None)
    try:
        return session(resume)
    except RunLocked:
        raise  # another process trains it: not ours to start again
    except WorkbenchError as exc:
        if resume.record().get("stop_reason") == StopReason.FAILED.value:
            raise  # it went on, and failed while training
        # Refused before training: its weights were lost, say. Start it again.
        record.message = f"{resume.name} could not be continued ({exc}): started again"
        return session(None)


def _continued_copy(
    context: TrialContext, store: RunStore, label: str, earlier_id: str
) -> Run:
    """A copy of trial ``earlier_id``'s run, for a Hyperband trial to go on from.

    Raises:
        WorkbenchError: the earlier trial has no run left to copy.
    """
    earlier = context.folder.trial(earlier_id)
    root = context.folder.runs_root
    if earlier is None or earlier.run is None or not (root / earlier.run).is_dir():
        raise WorkbenchError(
            f"hyperband continues trial {int(earlier_id) + 1}, whose run is gone"
        )
    source = Run(root / earlier.run)
    config = {k: v for k, v in source.config().items() if k != "started"}
    config["sweep"] = {**config.get("sweep", {}), "continues": earlier.run}
    copy = store.create(label, config)  # the trial's once whole (_TrialStore)
    for item in source.path.iterdir():
        if item.name in _NOT_COPIED:
            continue
        if item.is_dir():
            shutil.copytree(item, copy.path / item.name)
        else:
            shutil.copy2(item, copy.path / item.name)
    return copy


class _TrialStore(RunStore):
    """The runs folder, making runs that name their sweep and trial and
    telling the trial's record their name the moment they exist."""

    def __init__(
        self, root: Any, sweep: str, trial_id: str, made: Callable[[Run], None]
    ) -> None:
        super().__init__(root)
        self._sweep = {"name": sweep, "trial": trial_id}
        self._made = made

    def create(self, label: str, config: dict[str, Any]) -> Run:
        sweep = {**config.get("sweep", {}), **self._sweep}
        run = super().create(label, {**config, "sweep": sweep})
        if "continues" not in sweep:  # a copy is the trial's once it is whole
            self._made(run)
        return run
