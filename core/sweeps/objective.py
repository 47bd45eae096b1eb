"""What a sweep maximises or minimises: the runs' checkpoint monitor, as the
run-model rule scores a run (``core.run_model``).

Every trial keeps the project's ``checkpoint_monitor`` (a sweep may not vary
it), so their scores compare. A trial's score is the monitor's value for the
run's model: what ``best.keras`` scored (``best_value`` in ``run.json``) when
the run kept a best checkpoint, else the last epoch's value (its model is
then the final weights). Accuracies are maximised, losses minimised.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from core.run_model import BEST, run_model
from core.runs import Run
from core.training.config import TrainingConfig


@dataclass(frozen=True)
class Objective:
    """A metric of the runs' history and which way is better."""

    name: str
    direction: str  # "max" or "min"

    def better(self, a: float, b: float) -> bool:
        """Whether score ``a`` beats ``b``."""
        return a > b if self.direction == "max" else a < b


def objective_for(training: TrainingConfig) -> Objective:
    """The runs' checkpoint monitor, maximised if it is an accuracy."""
    name = training.checkpoint_monitor
    return Objective(name, "max" if "accuracy" in name else "min")


def run_score(run: Run, objective: Objective) -> tuple[float | None, int | None]:
    """The run model's score on ``objective`` and its epoch (1-based).

    (None, None) when the run kept no model or the value is missing or NaN
    (a run that diverged).
    """
    kept = run_model(run.path)
    if kept is None:
        return None, None
    record = run.record()
    if kept.kind == BEST and record.get("best_value") is not None:
        value, epoch = record["best_value"], record.get("best_epoch")
    else:
        values = run.history().get(objective.name) or []
        if not values:
            return None, None
        value, epoch = values[-1], len(values) - 1
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        return None, None
    return float(value), None if epoch is None else int(epoch) + 1
