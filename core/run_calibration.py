"""The calibration a run recorded, when it still belongs to the run's model.

``run.json``'s ``calibration`` (``core.inference.calibration`` writes it)
names the model it was fitted for; a run whose model is another file today
(its best checkpoint deleted, say) has no valid temperature, and every reader
(``evaluate``, the Prediction page, exports, the model card) asks here rather
than trusting the number.
"""

from __future__ import annotations

from pathlib import Path

from core.calibration import Calibration
from core.errors import WorkbenchError
from core.run_model import kind_of, run_model
from core.runs import Run


def recorded_calibration(run: Run | str | Path) -> Calibration | None:
    """The run's calibration for its model today, or None (none recorded).

    Raises:
        WorkbenchError: ``run.json`` is damaged, or its calibration is.
    """
    if not isinstance(run, Run):
        run = Run(Path(run))
    record = run.run_record()
    if record is None or record.calibration is None:
        return None
    try:
        calibration = Calibration.from_dict(record.calibration)
    except ValueError as exc:
        raise WorkbenchError(f"{run.path / 'run.json'} is damaged: {exc}") from None
    kept = run_model(run.path)
    if kept is None or calibration.model not in (None, kept.kind):
        return None
    return calibration


def run_temperature(run: Run | str | Path) -> float | None:
    """The temperature the run's model predicts at (None: not calibrated)."""
    calibration = recorded_calibration(run)
    return None if calibration is None else calibration.temperature


def file_temperature(path: str | Path) -> float | None:
    """The temperature of a run's model file (``best.keras``/``last.keras``).

    None when its run recorded none for that file, or when the record cannot
    be read (the Runs tab says why; predictions then use the plain model).
    """
    path = Path(path)
    try:
        calibration = recorded_calibration(path.parent)
    except WorkbenchError:
        return None
    if calibration is None or calibration.model != kind_of(path):
        return None
    return calibration.temperature
