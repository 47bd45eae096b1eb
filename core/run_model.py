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
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

BEST = "best"
FINAL = "final"
FILES = {BEST: "best.keras", FINAL: "last.keras"}
LABELS = {BEST: "best model", FINAL: "final weights"}


@dataclass(frozen=True)
class RunModel:
    """One model file of a run, with the name the user sees for it."""

    kind: str  # BEST or FINAL
    path: Path

    @property
    def label(self) -> str:
        return LABELS[self.kind]


def run_model(folder: str | Path) -> RunModel | None:
    """The run's model: ``best.keras`` when kept, else ``last.keras``, else None."""
    for kind in (BEST, FINAL):
        path = Path(folder) / FILES[kind]
        if path.is_file():
            return RunModel(kind, path)
    return None


def final_weights(folder: str | Path) -> RunModel | None:
    """``last.keras`` when it is *not* the run's model (a best one was kept)."""
    model = run_model(folder)
    path = Path(folder) / FILES[FINAL]
    if model is None or model.kind != BEST or not path.is_file():
        return None
    return RunModel(FINAL, path)


def pickable(folder: str | Path) -> list[RunModel]:
    """The run's models a user may pick, the run's own first."""
    return [m for m in (run_model(folder), final_weights(folder)) if m is not None]


def kind_of(path: str | Path) -> str | None:
    """BEST or FINAL for a model file inside a run folder, else None."""
    name = Path(path).name
    return next((k for k, f in FILES.items() if f == name), None)
