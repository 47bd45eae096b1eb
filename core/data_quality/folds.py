"""Out-of-sample probabilities for the training split: k fold models.

A model that trained on an image has learnt its label, right or wrong, so
the run's own model cannot judge its training images. The training split is
cut into ``folds`` stratified, seeded parts; for each, a fold model is built
and trained on the others, exactly as the run was (``core.training.session
.prepare`` and ``core.training.engine.train`` with the run's recorded model,
augmentation and settings), and predicts the part it did not see. Fold
models are not runs: nothing is written, and they are dropped when done.

The cost is capped at about the run's own (``fold_epochs``): each fold model
trains on (k-1)/k of the split, so k of them for ``E`` epochs cost (k-1)E of
the run's epochs, and ``E = max(1, epochs_run // (k - 1))``. Four folds by
default: each model still sees three quarters of the data, and a run of 12
epochs buys 4 per fold model. A fold model trains without early stopping, a
second (fine-tuning) phase or anything a run writes; its seed is the run's
plus the fold's number.
"""

from __future__ import annotations

import gc
from dataclasses import replace

import numpy as np

from core.data.dataset import Dataset, Split
from core.data_quality.forward import forward
from core.data_quality.progress import ReportCancelled, Stages
from core.training.engine import train
from core.training.resume import RunInputs
from core.training.session import prepare

DEFAULT_FOLDS = 4


def fold_epochs(epochs_run: int, folds: int) -> int:
    """Each fold model's epochs: together about what the run trained (module doc)."""
    return max(1, epochs_run // max(folds - 1, 1))


def stratified_folds(labels: np.ndarray, folds: int, seed: int) -> np.ndarray:
    """The fold (0..folds-1) of each image: every class dealt out evenly, seeded."""
    y = np.asarray(labels, np.int64)
    fold = np.zeros(len(y), np.int64)
    rng = np.random.default_rng(seed)
    start = 0
    for c in np.unique(y):
        mine = rng.permutation(np.nonzero(y == c)[0])
        fold[mine] = (start + np.arange(len(mine))) % folds
        start += len(mine)  # the next class begins where this one left off
    return fold


def out_of_fold(
    inputs: RunInputs,
    dataset: Dataset,
    epochs: int,
    folds: int,
    stages: Stages,
) -> np.ndarray:
    """The training split's probabilities, each from the fold model that did not
    train on it; rows in the split's order (NaN for a file none could decode).

    Raises:
        ReportCancelled: ``stages.cancel`` was set.
    """
    train_split = dataset.splits["train"]
    units = inputs.spec.head.units
    out = np.full((len(train_split), units), np.nan, np.float32)
    fold = stratified_folds(train_split.labels, folds, inputs.training.seed)
    cfg = replace(
        inputs.training,
        epochs=epochs,
        early_stopping=False,
        fine_tune=False,
        checkpoint=False,
        backup_and_restore=False,
        csv_logger=False,
        tensorboard=False,
    )
    empty = train_split.subset(np.zeros(0, np.int64))
    for k in range(folds):
        share = (k / folds, (k + 0.9) / folds)
        held = np.nonzero(fold == k)[0]
        trained_on = train_split.subset(np.nonzero(fold != k)[0])
        part = _with_splits(dataset, trained_on, empty)
        stages.tick(share[0])
        listener = _FoldListener(stages, f"fold model {k + 1} of {folds}", *share)
        fold_cfg = replace(cfg, seed=cfg.seed + k)
        prepared = prepare(
            inputs.spec, part, fold_cfg, inputs.augmentation, listener, stages.cancel
        )
        result = train(
            prepared.fit_model,
            prepared.train_ds,
            None,
            fold_cfg,
            listener,
            stages.cancel,
            class_weight=prepared.weights,
            device=prepared.device.description,
            steps_per_epoch=prepared.steps,
            seeded=True,
        )
        if result.cancelled:
            raise ReportCancelled("the data-quality report was stopped")
        unseen = _with_splits(dataset, empty, train_split.subset(held))
        tick = stages.ticker((k + 0.9) / folds, (k + 1) / folds)
        found = forward(prepared.model, unseen, "test", cfg.batch_size, tick)
        out[held[found.indices]] = found.probabilities
        del prepared
        gc.collect()
    return out


def _with_splits(dataset: Dataset, train_part: Split, test_part: Split) -> Dataset:
    """``dataset`` with other splits (and its own record of decoded files)."""
    empty = train_part.subset(np.zeros(0, np.int64))
    return replace(
        dataset,
        splits={"train": train_part, "validation": empty, "test": test_part},
        decode_checks={},
    )


class _FoldListener:
    """Training's listener for a fold model: its batches as the report's progress.

    No ``on_estimate``: a session measures epochs for listeners that have it.
    """

    def __init__(self, stages: Stages, name: str, start: float, end: float) -> None:
        self._stages, self._name = stages, name
        self._start, self._end = start, end
        self._batches = 1

    def on_stage(self, stage: str) -> None:
        self._stages.say(f"{self._name}: {stage}")

    def on_train_begin(self, total_epochs: int, steps_per_epoch: int) -> None:
        self._batches = max(1, total_epochs * steps_per_epoch)
        self._steps = max(1, steps_per_epoch)
        self._stages.say(f"{self._name}: training {total_epochs} epochs")

    def on_batch_end(self, epoch: int, batch: int, logs: dict[str, float]) -> None:
        done = (epoch * self._steps + batch + 1) / self._batches
        self._stages.tick(self._start + (self._end - self._start) * done)

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        return None
