"""The run's model: one rule for every place that shows, tests or hands out a run.

A run folder can hold two model files, and before this rule the app showed one
and exported the other without saying which:

- ``best.keras``, written by the best checkpoint whenever its monitor
  (``val_accuracy`` by default) improved;
- ``last.keras``, written after ``fit`` returned: the last epoch's weights, or
  an earlier epoch's when EarlyStopping's ``restore_best_weights`` put them
  back (judged by its own monitor, ``val_loss`` by default, and after a resume
  only over that session's epochs).

The rule: when the run kept a best checkpoint, **the run's model is the best
one**. Its test figures, the Prediction page's "last run" model, every export
and ``python -m core evaluate|export|predict RUN`` use it. ``last.keras`` stays
available only under an honest name, "final weights", where a model can be
picked. A run without a best checkpoint (switched off, or stopped before one
was written) has its final weights as its model; a run that kept neither has
no model (it diverged or was stopped before its first epoch ended).

A run trained with weight averaging (``training.ema`` in its ``config.json``)
keeps the average in both files: ``best.keras`` the average at the epoch whose
validation (of the average) was best, ``last.keras`` the final average. Their
labels say so ("best model, averaged", "final weights, averaged"). The rule
does not change: a run that should keep the final average rather than an
epoch picked by a noisy validation figure (a short, fast schedule) switches
the best checkpoint off (``training.checkpoint: false``), and its model is
then ``last.keras``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

BEST = "best"
FINAL = "final"
FILES = {BEST: "best.keras", FINAL: "last.keras"}
LABELS = {BEST: "best model", FINAL: "final weights"}
AVERAGED = ", averaged"  # after the label: the file holds averaged weights (EMA)


@dataclass(frozen=True)
class RunModel:
    """One model file of a run, with the name the user sees for it."""

    kind: str  # BEST or FINAL
    path: Path
    averaged: bool = False  # the run trained with weight averaging (EMA)

    @property
    def label(self) -> str:
        return LABELS[self.kind] + (AVERAGED if self.averaged else "")


def run_model(folder: str | Path) -> RunModel | None:
    """The run's model: ``best.keras`` when kept, else ``last.keras``, else None."""
    for kind in (BEST, FINAL):
        path = Path(folder) / FILES[kind]
        if path.is_file():
            return RunModel(kind, path, averaged(folder))
    return None


def final_weights(folder: str | Path) -> RunModel | None:
    """``last.keras`` when it is *not* the run's model (a best one was kept)."""
    model = run_model(folder)
    path = Path(folder) / FILES[FINAL]
    if model is None or model.kind != BEST or not path.is_file():
        return None
    return RunModel(FINAL, path, model.averaged)


def pickable(folder: str | Path) -> list[RunModel]:
    """The run's models a user may pick, the run's own first."""
    return [m for m in (run_model(folder), final_weights(folder)) if m is not None]


def kind_of(path: str | Path) -> str | None:
    """BEST or FINAL for a model file inside a run folder, else None."""
    name = Path(path).name
    return next((k for k, f in FILES.items() if f == name), None)


def averaged(folder: str | Path) -> bool:
    """Whether the run in ``folder`` trained with weight averaging (its
    ``config.json`` says ``training.ema``); False when it cannot tell."""
    return _training_settings(folder).get("ema") is True


def recorded_tta(folder: str | Path) -> str:
    """The test-time augmentation the run in ``folder`` was set to use.

    Its test figures averaged these views, so ``predict`` and the Prediction
    page predict with its model the same way unless told otherwise; "none"
    when its ``config.json`` cannot tell (a model from elsewhere has none).
    """
    from core.errors import WorkbenchError
    from core.training.config import TrainingConfig

    try:
        return TrainingConfig.from_dict(_training_settings(folder)).tta
    except (ValueError, TypeError, AttributeError, WorkbenchError):
        return "none"


def _training_settings(folder: str | Path) -> dict:
    """The ``training`` mapping of the run's ``config.json``; empty when it
    cannot be read or holds none."""
    try:
        config = json.loads((Path(folder) / "config.json").read_text())
        training = config["training"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    return training if isinstance(training, dict) else {}
