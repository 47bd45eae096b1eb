"""The search: KerasTuner picks each trial's settings; ``run_trial`` trains it.

``run_sweep`` is the entry point, the app's and the command line's. It checks
the sweep, opens (or continues) its folder, and runs KerasTuner's loop with a
tuner whose ``run_trial`` is ``core.sweeps.trials.run_trial``: an ordinary
run of the project. What KerasTuner does not do is built here:

- **Failed trials**: a trial that fails (a layer combination the model
  refuses, a run that diverged) raises ``FailedTrialError``: KerasTuner
  records it failed and goes on. ``max_consecutive_failed_trials`` (3 by
  default, then ``RuntimeError``) is set out of reach: the budget ends a
  sweep, not a run of bad luck.
- **Stop**: ``run_session`` returns normally when stopped, which KerasTuner
  would score as a completed trial. So a stopped trial raises
  ``SweepStopped``, a ``keras_tuner.errors.FatalError``: ``search`` ends at
  once and the oracle keeps the trial in progress. The next ``run_sweep``
  of the same sweep reloads the oracle, which hands that trial out again
  (KerasTuner requeues the trials in progress when it reloads), and the
  trial's record names its run folder, which is resumed.
- **A time budget**: the oracle starts no trial after the sweep's minutes
  (those of earlier sessions count); the trial running then finishes.
- **Hyperband** continues a trial from an earlier one's weights
  (``tuner/trial_id``, ``tuner/initial_epoch``, ``tuner/epochs``): the new
  trial's run is a copy of the earlier trial's run, resumed to
  ``tuner/epochs`` epochs (``core.sweeps.trials``).

KerasTuner is imported here only; ``core.sweeps.requirements`` says whether
it is installed.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keras_tuner as kt
from keras_tuner.engine import base_tuner

from core.atomic_file import write_atomic
from core.data.dataset import Dataset
from core.errors import WorkbenchError
from core.project import Project
from core.run_lock import locked_run
from core.runs import RunStore
from core.sweeps.distributed import CHIEF, WORKER, Role, lock_problem, sweep_role
from core.sweeps.events import (
    SEARCHED,
    STOPPED,
    TIME_SPENT,
    TRIALS_SPENT,
    NullSweepListener,
    SweepListener,
    SweepOutcome,
    SweepProgress,
    hyperband_trials,
    time_left,
)
from core.sweeps.folder import (
    COMPLETED,
    ENDED,
    FAILED,
    PAUSED,
    SWEEPING,
    SweepFolder,
    TrialRecord,
    new_sweep,
    open_sweep,
)
from core.sweeps.objective import Objective, objective_for
from core.sweeps.requirements import bayesian_missing, keras_tuner_missing
from core.sweeps.spec import SweepSpec, SweepSpecError, sweep_problems
from core.sweeps.trials import Step, TrialContext, TrialFailed, TrialStopped, run_trial
from core.training.events import TrainingListener

# Out of reach on purpose: a failed trial is recorded and the sweep goes on.
NEVER = sys.maxsize
_HYPERBAND_KEYS = ("tuner/epochs", "tuner/initial_epoch", "tuner/trial_id")
_HYPERBAND_BOOKKEEPING = ("tuner/bracket", "tuner/round")


class SweepStopped(kt.errors.FatalError):
    """Stop: KerasTuner's search ends and keeps the trial in progress."""


def run_sweep(
    spec: SweepSpec,
    project: Project,
    dataset: Dataset | None,
    store: RunStore,
    *,
    listener: SweepListener | None = None,
    trial_listener: TrainingListener | None = None,
    cancel: threading.Event | None = None,
    distributed: bool = False,
) -> SweepOutcome:
    """Run the sweep ``spec`` of ``project`` on ``dataset`` into ``store``'s runs.

    A sweep of that name already in ``store`` is continued where it stopped
    (the same search, this budget); ``cancel`` stops it after the running
    trial's current batch, keeping it to continue. ``listener`` hears trial
    N of M and the time left; ``trial_listener`` each trial's training, as
    a run's listener does. With ``distributed``, KerasTuner's variables say
    whether this process is the chief (which needs no ``dataset``: it
    trains nothing) or a worker (``core.sweeps.distributed``).

    Example:
        spec = load_sweep("SWEEP.json", project)
        outcome = run_sweep(spec, project, dataset, RunStore.beside(path))
        print(outcome.reason, outcome.best.score if outcome.best else None)

    Raises:
        SweepSpecError: the sweep does not fit the project (every mistake).
        WorkbenchError: refused before a trial ran: a missing package, no
            validation split for the objective, a sweep of that name begun
            from other settings, a runs folder that cannot be shared.
    """
    listener = listener or NullSweepListener()
    cancel = cancel or threading.Event()
    role = sweep_role(distributed)
    _check(spec, project, dataset, store, role)
    objective = objective_for(project.training)
    folder = _open(spec, project, store, objective)
    with contextlib.ExitStack() as stack:
        if role.kind != WORKER:  # one process searches a sweep at a time
            stack.enter_context(locked_run(folder.path))
            folder.update(state=SWEEPING, spec=spec.to_dict())  # maybe a new budget
        return _Search(
            spec,
            project,
            dataset,
            folder,
            objective,
            role,
            listener,
            trial_listener,
            cancel,
        ).run()


def _check(
    spec: SweepSpec,
    project: Project,
    dataset: Dataset | None,
    store: RunStore,
    role: Role,
) -> None:
    missing = keras_tuner_missing()
    if spec.settings.algorithm == "bayesian":
        missing = missing or bayesian_missing()
    if missing:
        raise WorkbenchError(missing)
    problems = sweep_problems(spec.to_dict(), project)
    if problems:
        raise SweepSpecError(problems)
    if role.kind != "local" and (problem := lock_problem(store.root)):
        raise WorkbenchError(problem)
    if role.kind == CHIEF:
        return
    if dataset is None:
        raise WorkbenchError("a sweep's trials need the project's data")
    name = project.training.checkpoint_monitor
    if name.startswith("val_") and not len(dataset.splits["validation"]):
        raise WorkbenchError(
            f"the sweep's objective is {name} (the checkpoint monitor), but "
            f"{dataset.name} has no validation split: give it one, or monitor "
            f"{name.removeprefix('val_')}"
        )


def _open(
    spec: SweepSpec,
    project: Project,
    store: RunStore,
    objective: Objective,
) -> SweepFolder:
    """The sweep's folder: continued when it exists, else made.

    Raises:
        WorkbenchError: a sweep of that name began with another search or
            from other project settings.
    """
    base = json.loads(json.dumps(_base(project)))  # as sweep.json holds it
    folder = open_sweep(store.root, spec.name)
    if folder is None:
        return new_sweep(
            store.root,
            spec.name,
            {
                "spec": spec.to_dict(),
                "objective": {"name": objective.name, "direction": objective.direction},
                "base": base,
            },
        )
    record = folder.record()
    then, search = record.get("spec") or {}, spec.search()
    differs = [k for k in search if search[k] != then.get(k)]
    differs += [k for k in base if base[k] != (record.get("base") or {}).get(k)]
    if differs:
        raise WorkbenchError(
            f"a sweep named {spec.name} began with another {', '.join(differs)}: "
            "continue it as it began, or give the new sweep another name"
        )
    return folder


def _base(project: Project) -> dict[str, Any]:
    """The project's settings a sweep starts from; every trial shares them."""
    return {
        "model": project.model.to_dict(),
        "training": project.training.to_dict(),
        "augmentation": project.augmentation.to_dict(),
    }


@dataclass
class _Search:
    """One session of a sweep: builds the oracle and tuner, runs the loop."""

    spec: SweepSpec
    project: Project
    dataset: Dataset | None
    folder: SweepFolder
    objective: Objective
    role: Role
    listener: SweepListener
    trial_listener: TrainingListener | None
    cancel: threading.Event
    began: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.earlier = float(self.folder.record().get("seconds") or 0.0)
        settings = self.spec.settings
        self.total = settings.trials or None
        if settings.algorithm == "hyperband" and self.total is None:
            self.total = hyperband_trials(settings.max_epochs, settings.factor)

    def elapsed(self) -> float:
        return self.earlier + time.monotonic() - self.began

    def run(self) -> SweepOutcome:
        oracle = _oracle(self.spec, self.objective)
        minutes = self.spec.settings.minutes
        if minutes:
            oracle.deadline = time.monotonic() + minutes * 60 - self.earlier
        context = None
        if self.role.kind != CHIEF:
            assert self.dataset is not None  # _check refuses a worker without
            context = TrialContext(
                self.folder,
                self.project,
                self.dataset,
                self.objective,
                self.cancel,
                self.trial_listener,
                self.role.tuner_id,
            )
        try:
            with contextlib.redirect_stdout(io.StringIO()):  # "Reloading Tuner..."
                tuner = _Tuner(oracle, self, context)
        except (ValueError, KeyError, RuntimeError) as exc:  # its files, damaged
            raise WorkbenchError(
                f"{self.folder.tuner_dir} is damaged ({exc}), so the search cannot "
                "continue: start the sweep again under another name (the trials' "
                "runs are kept)"
            ) from None
        self.listener.on_sweep_begin(self.folder, self.folder.trials())
        reason = self._search(tuner, oracle)
        if self.role.kind != WORKER:
            state = PAUSED if reason == STOPPED else ENDED
            self.folder.update(state=state, reason=reason, seconds=self.elapsed())
        trials = self.folder.trials()
        outcome = SweepOutcome(self.folder, reason, trials, self.folder.best())
        self.listener.on_sweep_end(outcome)
        return outcome

    def _search(self, tuner: _Tuner, oracle: Any) -> str:
        try:
            if self.role.kind == CHIEF:
                self._serve(tuner)
            else:
                tuner.search(verbose=0)
        except SweepStopped:
            return STOPPED
        if self.cancel.is_set():
            return STOPPED
        deadline = getattr(oracle, "deadline", None)
        if deadline is not None and time.monotonic() >= deadline:
            return TIME_SPENT
        made = len(self.folder.trials())
        if self.spec.settings.trials and made >= self.spec.settings.trials:
            return TRIALS_SPENT
        return SEARCHED

    def _serve(self, tuner: _Tuner) -> None:
        """The chief: KerasTuner's oracle server, until the search ends or Stop.

        The server blocks (it waits for every worker to hear the search is
        over), so it runs on a thread while this one reports the workers'
        trials from their records and watches ``cancel``.
        """
        server = threading.Thread(
            target=tuner.search, kwargs={"verbose": 0}, daemon=True
        )
        server.start()
        seen = {t.trial_id: t.status for t in self.folder.trials()}
        while server.is_alive():
            if self.cancel.wait(1.0):
                raise SweepStopped("stopped")  # the oracle saved its every change
            for trial in self.folder.trials():
                if seen.get(trial.trial_id) != trial.status:
                    seen[trial.trial_id] = trial.status
                    self.report(trial, ended=trial.status in (COMPLETED, FAILED))

    def progress(self, trial: TrialRecord, running: float = 0.0) -> SweepProgress:
        ended = [
            t.seconds
            for t in self.folder.trials()
            if t.status in (COMPLETED, FAILED) and t.seconds > 0
        ]
        left = None if self.total is None else max(0, self.total - trial.number)
        minutes = self.spec.settings.minutes
        minutes_left = minutes - self.elapsed() / 60 if minutes else None
        remaining = time_left(ended, running, left, minutes_left)
        return SweepProgress(trial.number, self.total, self.elapsed(), remaining)

    def report(self, trial: TrialRecord, ended: bool) -> None:
        progress = self.progress(trial, trial.seconds if ended else 0.0)
        if ended:
            self.listener.on_trial_end(trial, progress)
        else:
            self.listener.on_trial_begin(trial, progress)
        if self.role.kind != WORKER:
            self.folder.update(seconds=self.elapsed())


class _Tuner(base_tuner.BaseTuner):
    """KerasTuner's worker loop around ``core.sweeps.trials.run_trial``."""

    def __init__(
        self, oracle: Any, search: _Search, context: TrialContext | None
    ) -> None:
        self._search = search
        self._context = context
        self._role_id = search.role.tuner_id
        super().__init__(
            oracle, directory=str(search.folder.path), project_name="tuner"
        )
        self.tuner_id = self._role_id

    def _get_tuner_fname(self) -> str:
        # Named by this process's role, not the environment: the app and the
        # command line continue one sweep with one tuner id.
        return os.path.join(str(self.project_dir), f"{self._role_id}.json")

    def save(self) -> None:
        if not self._is_worker():  # a worker's oracle is the chief's
            self.oracle.save()
        _save_json(self._get_tuner_fname(), self.get_state())

    def on_search_begin(self) -> None:
        self.save()  # so a stop in the first trial reloads the oracle next time

    def pre_create_trial(self) -> None:
        if self._search.cancel.is_set():
            raise SweepStopped("stopped between trials")

    def run_trial(self, trial: Any, *args: Any, **kwargs: Any) -> dict[str, float]:
        assert self._context is not None  # the chief runs no trial
        values = dict(trial.hyperparameters.values)
        step = None
        if "tuner/epochs" in values:
            step = Step(
                int(values["tuner/epochs"]),
                int(values["tuner/initial_epoch"]),
                values.get("tuner/trial_id"),
            )
        for key in _HYPERBAND_KEYS + _HYPERBAND_BOOKKEEPING:
            values.pop(key, None)
        started = self._context.folder.trial(trial.trial_id) or TrialRecord(
            trial.trial_id, values
        )
        self._search.report(started, ended=False)
        try:
            record = run_trial(self._context, trial.trial_id, values, step)
        except TrialStopped as exc:
            raise SweepStopped(str(exc)) from None
        except TrialFailed as exc:
            raise kt.errors.FailedTrialError(str(exc)) from None
        return {self._search.objective.name: float(record.score or 0.0)}

    def on_trial_end(self, trial: Any) -> None:
        super().on_trial_end(trial)
        if self._context is None:
            return
        record = self._context.folder.trial(trial.trial_id)
        if record is not None:
            self._search.report(record, ended=True)


def _budgeted(cls: type) -> type:
    """``cls`` (an oracle class) that starts no trial after its ``deadline``,
    and writes its files atomically (KerasTuner writes them in place: a kill
    mid-write would leave half a file that the next session cannot read)."""

    class Budgeted(cls):  # type: ignore[valid-type, misc]
        deadline: float | None = None  # time.monotonic(); None: no time budget

        def populate_space(self, trial_id: str) -> dict[str, Any]:
            if self.deadline is not None and time.monotonic() >= self.deadline:
                return {"status": "STOPPED"}  # KerasTuner's TrialStatus.STOPPED
            return super().populate_space(trial_id)

        def save(self) -> None:
            _save_json(self._get_oracle_fname(), self.get_state())

        def _save_trial(self, trial: Any) -> None:
            path = Path(self._get_trial_dir(trial.trial_id)) / "trial.json"
            _save_json(path, trial.get_state())

    Budgeted.__name__ = f"Budgeted{cls.__name__}"
    return Budgeted


def _save_json(path: str | Path, state: dict[str, Any]) -> None:
    """What KerasTuner's ``Stateful.save`` writes, atomically."""
    write_atomic(Path(path), json.dumps(state))


def _oracle(spec: SweepSpec, objective: Objective) -> Any:
    """The oracle of ``spec``'s algorithm, its space and its trial budget."""
    settings = spec.settings
    common = {
        "objective": kt.Objective(objective.name, objective.direction),
        "hyperparameters": _space(spec),
        "allow_new_entries": False,
        "tune_new_entries": False,
        # KerasTuner draws a random seed for 0 (it tests ``seed or ...``).
        "seed": settings.seed + 1,
        "max_consecutive_failed_trials": NEVER,
    }
    trials = settings.trials or None
    if settings.algorithm == "hyperband":
        oracle = _budgeted(kt.oracles.HyperbandOracle)(
            max_epochs=settings.max_epochs, factor=settings.factor, **common
        )
        oracle.max_trials = trials
    elif settings.algorithm == "bayesian":
        oracle = _budgeted(kt.oracles.BayesianOptimizationOracle)(
            max_trials=trials, **common
        )
    else:
        oracle = _budgeted(kt.oracles.RandomSearchOracle)(max_trials=trials, **common)
    oracle.verbose = 0  # progress is the listener's to show
    return oracle


def _space(spec: SweepSpec) -> Any:
    """KerasTuner's search space: a Choice, Int or Float per varied key."""
    hp = kt.HyperParameters()
    for r in spec.vary:
        if r.values:
            hp.Choice(r.key, list(r.values))
        elif isinstance(r.minimum, int) and isinstance(r.maximum, int):
            sampling = "log" if r.log else "linear"
            hp.Int(r.key, r.minimum, r.maximum, step=r.step, sampling=sampling)
        else:
            sampling = "log" if r.log else "linear"
            hp.Float(r.key, r.minimum, r.maximum, step=r.step, sampling=sampling)
    return hp
