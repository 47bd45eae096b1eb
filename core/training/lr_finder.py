"""The learning-rate range test (Smith 2015; fastai's ``lr_find``), headless.

``find_learning_rate`` trains a model built afresh from the project's spec
(the project, its file and every run's model are never touched) through the
same ``prepare`` a run uses: its data pipeline, augmentation, class weights
and the one compile path (``compile_for``), with the schedule off so the
rate is a constant that a callback sets before every batch. The rate rises
exponentially from ``START_RATE`` to ``END_RATE`` over ``batches_for`` batches:
one epoch of the training split, but at least ``MIN_BATCHES`` (a small split
is gone over again) and at most ``MAX_BATCHES`` (a large one stops part-way).
Each batch is one Keras epoch of one step, so Keras resets its running mean
before every batch and its logs carry that batch's own loss.

The suggestion rule (``suggest``, also in docs/sweeps.md):

1. Smooth the batch losses with an exponential moving average of factor
   ``SMOOTHING`` (0.9), bias-corrected as Adam's moments are: ``avg_i = 0.9
   avg_(i-1) + 0.1 loss_i``, ``smoothed_i = avg_i / (1 - 0.9^(i+1))``.
2. The test diverged at the first batch whose loss is not finite or whose
   smoothed loss is above ``DIVERGENCE`` (4) times the lowest smoothed loss
   so far; training stops there, and that batch and later ones are left out.
3. The suggestion is the rate of the steepest descent before divergence: the
   most negative slope of the smoothed loss against log10 of the rate
   (``numpy.gradient``) over the batches before divergence, after the
   first ``WARM_UP`` (10: one time constant of the average, while it still
   rests on a handful of losses).
4. Clamped to the range the ``learning_rate`` field declares
   (``TrainingConfig``), so the form, validation and a run accept it.

The factor 0.9 rather than fastai's 0.98: an average lags about ``f/(1-f)``
batches (9 against 49), and at 100 to 300 batches over 8 decades a lag of 49
batches moves the steepest point one to four decades to the right.

The result (``RangeTest``) and the file that keeps the project's last one
are in ``core.training.lr_finder_result``, which imports no Keras.

Progress and cancel follow training's contract (``core.training.events``):
the listener hears ``on_stage`` while the model is built, then
``on_train_begin(1, batches)`` and ``on_batch_end(0, batch, logs)`` with
``loss`` (the batch's), ``smoothed`` and ``learning_rate``; ``cancel`` is
checked after every batch by training's own ``ListenerCallback``.
"""

from __future__ import annotations

import math
import threading
from dataclasses import replace
from datetime import datetime, timezone

import keras
import numpy as np

from core.augmentation.config import AugmentationConfig
from core.data.dataset import Dataset
from core.data.memory import free_gpu_memory
from core.recipe.optimizers import set_learning_rate
from core.setting_fields import setting_fields
from core.spec import ModelSpec
from core.training.callbacks import Diverged, ListenerCallback, TrainingCancelled
from core.training.compile import build_training_state
from core.training.config import TrainingConfig
from core.training.events import NullListener, TrainingListener
from core.training.lr_finder_result import CANCELLED, COMPLETED, DIVERGED, RangeTest
from core.training.preflight import check_preflight, check_settings
from core.training.session import prepare

START_RATE = 1e-7
END_RATE = 10.0
MIN_BATCHES = 100
MAX_BATCHES = 300
SMOOTHING = 0.9
# The first batches' average rests on a few losses (the bias correction
# makes the first one the raw loss): their slope is noise, not the curve's.
WARM_UP = round(1 / (1 - SMOOTHING))
DIVERGENCE = 4.0


def rate_bounds() -> tuple[float, float]:
    """The learning rates a new edit may take, from the field's declaration."""
    fields = setting_fields(TrainingConfig)
    declared = next(f for f in fields if f.name == "learning_rate")
    return float(declared.minimum), float(declared.maximum)


def rates(batches: int, start: float = START_RATE, end: float = END_RATE) -> np.ndarray:
    """The rate of each batch: ``start`` rising by a constant factor to ``end``."""
    return np.geomspace(start, end, batches)


def batches_for(steps_per_epoch: int) -> int:
    """One epoch's batches, kept within ``MIN_BATCHES`` and ``MAX_BATCHES``."""
    return min(max(steps_per_epoch, MIN_BATCHES), MAX_BATCHES)


def smooth(losses: list[float] | np.ndarray, factor: float = SMOOTHING) -> np.ndarray:
    """The bias-corrected exponential moving average of ``losses``."""
    out = np.empty(len(losses))
    avg = 0.0
    for i, loss in enumerate(losses):
        avg = factor * avg + (1 - factor) * float(loss)
        out[i] = avg / (1 - factor ** (i + 1))
    return out


def diverged_at(smoothed: np.ndarray, losses: np.ndarray) -> int | None:
    """The first batch that counts as divergence (module rule 2), or None."""
    lowest = math.inf
    for i, (value, loss) in enumerate(zip(smoothed, losses, strict=True)):
        if not (math.isfinite(loss) and math.isfinite(value)):
            return i
        if i > 0 and value > DIVERGENCE * lowest:
            return i
        lowest = min(lowest, value)
    return None


def suggest(
    learning_rates: list[float] | np.ndarray, losses: list[float] | np.ndarray
) -> float | None:
    """The module's suggestion rule on a curve; None with under 3 batches
    between the warm-up and the divergence."""
    lrs, raw = np.asarray(learning_rates, float), np.asarray(losses, float)
    smoothed = smooth(raw)
    end = diverged_at(smoothed, raw)
    if end is not None:
        lrs, smoothed = lrs[:end], smoothed[:end]
    lrs, smoothed = lrs[WARM_UP:], smoothed[WARM_UP:]
    if len(smoothed) < 3:
        return None
    slope = np.gradient(smoothed, np.log10(lrs))
    low, high = rate_bounds()
    return float(min(max(lrs[int(np.argmin(slope))], low), high))


def find_learning_rate(
    spec: ModelSpec,
    dataset: Dataset,
    cfg: TrainingConfig,
    augmentation: AugmentationConfig | None = None,
    listener: TrainingListener | None = None,
    cancel: threading.Event | None = None,
    batches: int | None = None,
) -> RangeTest:
    """Run the range test for ``spec`` on ``dataset`` with ``cfg``'s optimizer.

    ``batches`` overrides ``batches_for`` (tests). The settings and data are
    checked as a run's are (``run_session``'s pre-flight); phase 2 of a
    backbone is not tested: the rate found is phase 1's ``learning_rate``.

    Raises:
        WorkbenchError: refused settings or data, as Start would refuse them.
    """
    aug = augmentation or AugmentationConfig()
    cancel = cancel or threading.Event()
    listener = listener or NullListener()
    check_settings(cfg)
    check_preflight(spec, dataset, cfg, gpu_available=free_gpu_memory())
    # A constant rate that the callback sets per batch; no phase 2.
    constant = replace(cfg, schedule="none", learning_rate=START_RATE, fine_tune=False)
    prepared = prepare(spec, dataset, constant, aug, _Preparing(listener), cancel)
    count = batches or batches_for(prepared.steps)
    schedule = rates(count)
    recorder = _RangeCallback(schedule, listener, cfg)
    # Training's own callback: a Stop after any batch, and a NaN loss.
    guard = ListenerCallback(NullListener(), cancel, epochs=count)
    stop = COMPLETED
    build_training_state(prepared.fit_model, prepared.train_ds)
    try:
        prepared.fit_model.fit(
            prepared.train_ds.repeat(),
            epochs=count,
            steps_per_epoch=1,
            callbacks=[recorder, guard],
            class_weight=prepared.weights,
            shuffle=False,  # the tf.data pipeline shuffles, reproducibly
            verbose=0,
        )
    except TrainingCancelled:
        stop = CANCELLED
    except Diverged:
        stop = DIVERGED
    if recorder.diverged:
        stop = DIVERGED
    lrs, losses = recorder.rates_seen, recorder.losses
    return RangeTest(
        learning_rates=lrs,
        losses=losses,
        smoothed=[float(v) for v in smooth(losses)],
        suggestion=None if stop == CANCELLED else suggest(lrs, losses),
        stop=stop,
        batches=count,
        about={
            "model": spec.name,
            "dataset": dataset.name,
            "optimizer": cfg.optimizer,
            "batch_size": cfg.batch_size,
            "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        },
    )


class _Preparing:
    """What ``prepare`` may tell the listener: its stages and downloads (the
    epoch estimate is a run's, not the test's)."""

    def __init__(self, listener: TrainingListener) -> None:
        self._listener = listener

    def on_stage(self, stage: str) -> None:
        hook = getattr(self._listener, "on_stage", None)
        if hook is not None:
            hook(stage)

    def on_download(self, fraction: float, message: str) -> None:
        hook = getattr(self._listener, "on_download", None)
        if hook is not None:
            hook(fraction, message)


class _RangeCallback(keras.callbacks.Callback):
    """Sets each batch's rate, records its loss, stops at divergence."""

    def __init__(
        self, schedule: np.ndarray, listener: TrainingListener, cfg: TrainingConfig
    ) -> None:
        super().__init__()
        self.schedule = schedule
        self.listener = listener
        # A separate rate for the norm layers keeps its ratio to the main one.
        self.norm_factor = cfg.norm_lr_factor
        self.rates_seen: list[float] = []
        self.losses: list[float] = []
        self.diverged = False

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.listener.on_train_begin(1, len(self.schedule))

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        set_learning_rate(
            self.model.optimizer, float(self.schedule[epoch]), self.norm_factor
        )

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        i = len(self.losses)
        loss = float((logs or {}).get("loss", math.nan))
        losses = [*self.losses, loss]  # a few hundred at most: smoothed afresh
        smoothed = smooth(losses)
        if diverged_at(smoothed, np.array(losses)) is not None:
            self.diverged = True  # left out of the curve, as the rule says
            self.model.stop_training = True
            return
        rate = float(self.schedule[i])
        self.rates_seen.append(rate)
        self.losses.append(loss)
        self.listener.on_batch_end(
            0, i, {"loss": loss, "smoothed": float(smoothed[-1]), "learning_rate": rate}
        )
