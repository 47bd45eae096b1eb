"""A learning-rate range test's result and the file that keeps it, without Keras.

``core.training.lr_finder`` runs the test and imports Keras; the GUI reads the
last kept result when a project opens (the Training page shows it again), and
that must not load TensorFlow, so the result and its file live here.

The last result is kept in a folder of the project's runs folder
(``NAME.runs/lr-finder/result.json``), so a save of an unsaved project moves it
beside the file with its runs (docs/sweeps.md, "Where the result is kept").
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from core.atomic_file import write_atomic
from core.errors import WorkbenchError

RESULT_FOLDER = "lr-finder"
RESULT_FILE = "result.json"
FORMAT = "cnn-workbench-lr-finder"

COMPLETED, DIVERGED, CANCELLED = "completed", "diverged", "cancelled"


@dataclass(frozen=True)
class RangeTest:
    """A range test's curve and what it suggests.

    ``stop`` is ``completed`` (the last rate was reached), ``diverged`` (the
    loss ran away, see ``core.training.lr_finder``'s rule) or ``cancelled``; a
    cancelled test suggests nothing. ``suggestion`` is None when too few
    batches came before the divergence to tell a slope.
    """

    learning_rates: list[float]
    losses: list[float]
    smoothed: list[float]
    suggestion: float | None
    stop: str
    batches: int  # planned
    about: dict[str, Any] = field(default_factory=dict)  # what was measured

    def rows(self) -> list[tuple[float, float, float]]:
        """``(learning_rate, loss, smoothed)`` per batch, as the CSV has them."""
        return list(zip(self.learning_rates, self.losses, self.smoothed, strict=True))

    def to_dict(self) -> dict[str, Any]:
        return {"format": FORMAT, "version": 1, **asdict(self)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RangeTest:
        """Raises WorkbenchError for a file that is not a saved range test."""
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise WorkbenchError("not a saved learning-rate finder result")
        try:
            return cls(**{k: data[k] for k in cls.__dataclass_fields__})
        except (KeyError, TypeError) as exc:
            raise WorkbenchError(
                f"a damaged learning-rate finder result: {exc}"
            ) from None


def result_path(runs_root: str | Path) -> Path:
    """Where the last result of the project whose runs are in ``runs_root`` is kept."""
    return Path(runs_root) / RESULT_FOLDER / RESULT_FILE


def save_result(test: RangeTest, runs_root: str | Path) -> Path:
    """Keep ``test`` as the project's last result (atomically); its path."""
    path = result_path(runs_root)
    write_atomic(path, json.dumps(test.to_dict(), indent=1, allow_nan=False))
    return path


def load_result(runs_root: str | Path) -> RangeTest | None:
    """The project's last kept result, or None if it has none."""
    path = result_path(runs_root)
    try:
        return RangeTest.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise WorkbenchError(f"{path}: cannot be read ({exc})") from exc
