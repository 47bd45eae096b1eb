"""Evaluate a run's model on its test split, on request, from its folder alone.

What "Evaluate on test set" does after a stopped run, and what ``python -m
core evaluate RUN`` runs. Kept apart from ``core.training.evaluation``, whose
metrics stay free of TensorFlow (the results view imports them): this sits
above the session and the resume it uses, so imports run one way
(``pyproject.toml``'s import-linter contracts hold them so).
"""

from __future__ import annotations

import threading
from pathlib import Path

from core.data.dataset import Dataset
from core.errors import WorkbenchError
from core.model_files.loading import load_model_file
from core.run_calibration import run_temperature
from core.run_model import RunModel, run_model
from core.runs import Run
from core.training.config import TrainingConfig
from core.training.evaluation import Evaluation
from core.training.fingerprint import refuse_changed_data
from core.training.resume import open_recorded_dataset
from core.training.session import evaluate_test_split


def evaluate_run(
    run: Run | str | Path,
    dataset: Dataset | None = None,
    cancel: threading.Event | None = None,
    tta: str | None = None,
    calibrated: bool = True,
) -> Evaluation:
    """The run's model (``core.run_model``: its best, else its last) on its test split.

    What "Evaluate on test set" does after a stopped run, and what the command
    line runs. ``dataset`` is the data if it is already open (it must match
    the run's fingerprint); else it is opened from the run's ``config.json``.
    The figures are written beside the run's own, in ``evaluations/`` (named
    by when, and which model), never over ``evaluation.json``. ``tta`` is
    the test-time augmentation (``core.tta``): None uses the run's own.
    ``calibrated`` uses the run's temperature, when it recorded one
    (``core.run_calibration``), as the Prediction page and exports do.

    Raises:
        WorkbenchError: no model or no test split, or data that changed.
    """
    if not isinstance(run, Run):
        run = Run(Path(run))
    kept, dataset = model_and_data(run, dataset, cancel, "evaluate")
    cfg = TrainingConfig.from_dict(run.config().get("training", {}))
    evaluation, _ = evaluate_test_split(
        load_model_file(kept.path),
        dataset,
        cfg.batch_size,
        cfg.cache_data,
        tta=cfg.tta if tta is None else tta,
        temperature=run_temperature(run) if calibrated else None,
    )
    if evaluation is None:
        raise WorkbenchError(f"{dataset.name} has no test split to evaluate on")
    try:
        run.add_evaluation(evaluation.to_dict(), kept)
    except OSError as exc:
        raise WorkbenchError(
            f"could not write the evaluation into {run.path}: {exc.strerror or exc}"
        ) from None
    return evaluation


def model_and_data(
    run: Run, dataset: Dataset | None, cancel: threading.Event | None, purpose: str
) -> tuple[RunModel, Dataset]:
    """The run's model file and its data: ``dataset`` checked against the run's
    fingerprint, else opened as the run recorded it.

    Raises:
        WorkbenchError: no model (``purpose``, e.g. "evaluate", says for
            what), or data that changed.
    """
    kept = run_model(run.path)
    if kept is None:
        raise WorkbenchError(f"{run.name} kept no model to {purpose}")
    if dataset is None:
        dataset = open_recorded_dataset(run, cancel=cancel)
    else:
        refuse_changed_data(run.config().get("dataset", {}), dataset, run.name)
    return kept, dataset
