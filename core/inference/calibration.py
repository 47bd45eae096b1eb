"""Calibrate a run: fit its temperature on the validation split and record it.

What the Training page's "Calibrate" and ``python -m core evaluate RUN
--calibrate`` do. The run's model (``core.run_model``) gives its logits for
every view of each image (``core.temperature.logits_model``, the run's
test-time augmentation), once for validation and once for test; the rest is
numpy (``core.calibration``): the temperature that minimises the validation
NLL, and the test ECE and accuracy at 1 and at that temperature. The result
goes into ``run.json`` (``calibration``), which the Prediction page,
``evaluate`` and the exports read (:func:`run_temperature`).

Example:
    >>> calibration = calibrate_run("my.runs/20261129-120000-model")  # doctest: +SKIP
    >>> calibration.summary()  # doctest: +SKIP
    'temperature 1.512 (fitted on 5000 validation images); test ECE (15 bins) ...'
"""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from pathlib import Path

import keras
import numpy as np

from core.atomic_file import write_atomic
from core.calibration import Calibration, fit_temperature, nll, probabilities
from core.calibration import reliability as reliability_of
from core.data.dataset import Dataset
from core.data.pipeline import make_tf_dataset
from core.errors import WorkbenchError
from core.model_files.loading import load_model_file
from core.recipe.tta import image_views
from core.run_lock import locked_run
from core.run_record import RunRecord, RunRecordError
from core.runs import Run
from core.temperature import logits_model
from core.training.config import TrainingConfig
from core.training.keras_warnings import no_false_end_of_data_warning
from core.training.run_evaluation import model_and_data


def calibrate_run(
    run: Run | str | Path,
    dataset: Dataset | None = None,
    cancel: threading.Event | None = None,
) -> Calibration:
    """Fit the run's temperature on its validation split; record it in ``run.json``.

    ``dataset`` is the run's data when it is already open (checked against
    its fingerprint), else it is opened from ``config.json``. The views are
    the run's own test-time augmentation.

    Raises:
        WorkbenchError: an unfinished run, no model, no validation split,
            data that changed, a model whose logits cannot be found, or
            another process training in the folder.
    """
    if not isinstance(run, Run):
        run = Run(Path(run))
    if run.run_record() is None:
        raise WorkbenchError(
            f"{run.name} has not finished: calibrate it once training has ended"
        )
    kept, dataset = model_and_data(run, dataset, cancel, "calibrate")
    if not len(dataset.splits["validation"]):
        raise WorkbenchError(
            f"{run.name} has no validation split: a temperature is fitted on "
            "validation images, never on the test ones"
        )
    cfg = TrainingConfig.from_dict(run.config().get("training", {}))
    logits, activation = logits_model(load_model_file(kept.path))
    y_val, val = view_logits(logits, dataset, "validation", cfg.tta, cfg.batch_size)
    temperature = fit_temperature(y_val, val, activation)
    calibration = Calibration(
        temperature=temperature,
        model=kept.kind,
        tta=cfg.tta,
        validation_images=int(y_val.size),
        nll_before=nll(y_val, val, activation),
        nll_after=nll(y_val, val, activation, temperature),
    )
    if len(dataset.splits["test"]):
        y, test = view_logits(logits, dataset, "test", cfg.tta, cfg.batch_size)
        before = probabilities(test, activation)
        after = probabilities(test, activation, temperature)
        calibration = replace(
            calibration,
            test_before=reliability_of(y, before),
            test_after=reliability_of(y, after),
            accuracy_before=_accuracy(y, before),
            accuracy_after=_accuracy(y, after),
        )
    record_calibration(run, calibration)
    return calibration


def view_logits(
    logits: keras.Model, dataset: Dataset, split: str, tta: str, batch_size: int = 32
) -> tuple[np.ndarray, np.ndarray]:
    """``split``'s true classes, and each view's logits ``(views, images, units)``."""
    _, h, w, c = logits.inputs[0].shape
    data = make_tf_dataset(dataset, split, (h, w), c, batch_size, cache=False)
    inputs = keras.Input((h, w, c))
    views = image_views(inputs, tta)
    outputs = [logits(view, training=False) for view in views]
    viewed = keras.Model(inputs, outputs)
    y = np.concatenate([np.asarray(labels) for _, labels in data])
    with no_false_end_of_data_warning():
        out = viewed.predict(data.map(lambda x, _: x), verbose=0)
    if not isinstance(out, (list, tuple)):
        out = [out]
    return y, np.stack([np.asarray(o, dtype=np.float64) for o in out])


def record_calibration(run: Run, calibration: Calibration) -> None:
    """``calibration`` into ``run.json``, atomically, while no one trains the run.

    Raises:
        WorkbenchError: the folder is being trained, or cannot be written.
    """
    path = run.path / "run.json"
    with locked_run(run.path):
        raw = json.loads(path.read_text(encoding="utf-8"))
        raw["calibration"] = calibration.to_dict()
        try:
            typed = RunRecord.from_dict(raw, str(path))
        except RunRecordError as exc:
            raise WorkbenchError(str(exc)) from None
        try:
            write_atomic(path, json.dumps(typed.to_dict(), indent=2))
        except OSError as exc:
            raise WorkbenchError(
                f"could not record the calibration in {path}: {exc.strerror or exc}"
            ) from None


def _accuracy(y: np.ndarray, probs: np.ndarray) -> float:
    p = probs if probs.shape[1] > 1 else np.concatenate([1 - probs, probs], axis=1)
    return float((p.argmax(axis=1) == y).mean()) if y.size else 0.0
