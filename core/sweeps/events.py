"""How a sweep reports outward: trial N of M, time left, and how it ended.

Listener methods are called on the thread that runs the sweep (a worker
thread in the app), as training's are (``core.training.events``): a GUI
adapter forwards them to its own thread. Each trial's epochs and batches
reach the ``TrainingListener`` given beside it, unchanged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Protocol

from core.sweeps.folder import SweepFolder, TrialRecord

# Why a sweep ended (``SweepOutcome.reason``).
TRIALS_SPENT = "its trials are spent"
TIME_SPENT = "its minutes are spent"
SEARCHED = "the search has nothing left to try"
STOPPED = "stopped"


@dataclass(frozen=True)
class SweepProgress:
    """Where a sweep is: this trial's number of ``total``, and time.

    ``total`` is the trials the budget allows (Hyperband's own count when it
    has none), None without a trial limit. ``remaining`` is an estimate in
    seconds: the trials left times the mean trial so far, capped by the
    minutes left; None before any trial has ended, or without any limit.
    """

    number: int
    total: int | None
    elapsed: float
    remaining: float | None

    def words(self) -> str:
        """``trial 3 of 8, about 12 min left``, as the CLI prints it."""
        of = f" of {self.total}" if self.total else ""
        left = ""
        if self.remaining is not None:
            minutes = self.remaining / 60
            left = (
                f", about {minutes:.0f} min left"
                if minutes >= 1
                else f", about {self.remaining:.0f} s left"
            )
        return f"trial {self.number}{of}{left}"


@dataclass
class SweepOutcome:
    """How a sweep session ended; ``folder`` reads all its trials back."""

    folder: SweepFolder
    reason: str
    trials: list[TrialRecord] = field(default_factory=list)
    best: TrialRecord | None = None

    @property
    def stopped(self) -> bool:
        """Stopped by the user (or a signal): ``run_sweep`` continues it."""
        return self.reason == STOPPED


class SweepListener(Protocol):
    """What a sweep tells its caller (every method optional in spirit)."""

    # The sweep's folder, and the trials it had already (a continued sweep).
    def on_sweep_begin(self, folder: SweepFolder, done: list[TrialRecord]) -> None: ...

    # A trial starts (or an interrupted one continues: ``trial.run`` is set).
    def on_trial_begin(self, trial: TrialRecord, progress: SweepProgress) -> None: ...

    # A trial ended: completed (its score), failed (its message) or stopped.
    def on_trial_end(self, trial: TrialRecord, progress: SweepProgress) -> None: ...

    def on_sweep_end(self, outcome: SweepOutcome) -> None: ...


class NullSweepListener:
    """A sweep listener that ignores everything."""

    def on_sweep_begin(self, folder: SweepFolder, done: list[TrialRecord]) -> None:
        return None

    def on_trial_begin(self, trial: TrialRecord, progress: SweepProgress) -> None:
        return None

    def on_trial_end(self, trial: TrialRecord, progress: SweepProgress) -> None:
        return None

    def on_sweep_end(self, outcome: SweepOutcome) -> None:
        return None


def time_left(
    ended: list[float],
    running: float,
    left: int | None,
    minutes_left: float | None,
) -> float | None:
    """Seconds a sweep has left, estimated (see ``SweepProgress.remaining``).

    ``ended``: the seconds each ended trial took; ``running``: the seconds
    the current trial has run; ``left``: trials left after it (None: no
    limit); ``minutes_left``: of the time budget (None: no limit).
    """
    budget = None if minutes_left is None else max(0.0, minutes_left * 60)
    if not ended or left is None:
        return budget
    mean = sum(ended) / len(ended)
    estimate = max(0.0, mean - running) + left * mean
    return estimate if budget is None else min(estimate, budget + mean)


def hyperband_trials(max_epochs: int, factor: int) -> int:
    """The trials one Hyperband iteration makes (KerasTuner's brackets).

    Bracket ``b`` (from the most exploratory down to 0) runs rounds ``r`` of
    ``ceil(ceil(1 + log_f(max_epochs)) / (b + 1) * f^(b - r))`` trials.
    """
    brackets, epochs = 0, float(max_epochs)
    while epochs >= 1:
        epochs /= factor
        brackets += 1
    end_size = math.ceil(1 + math.log(max_epochs, factor))
    return sum(
        math.ceil(end_size / (b + 1) * factor ** (b - r))
        for b in range(brackets)
        for r in range(b + 1)
    )
