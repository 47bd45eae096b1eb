"""run_session: one training run from a project's settings, end to end, headless.

Builds the model from its spec, the tf.data pipelines from the dataset, puts
augmentation where the config says, trains with ``train``, evaluates on the
test split, and records it all in a run folder. The desktop's worker calls this
same function, so the GUI and a script train identically.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import tensorflow as tf

from core.augmentation.config import AugmentationConfig
from core.augmentation.pipeline import augment_dataset, build_augmenter, placement
from core.backbone_builder import apply_freeze, freeze_plan
from core.data.dataset import Dataset, class_weights
from core.data.pipeline import decoded_indices, make_tf_dataset, report_undecodable
from core.inference.export import write_class_names
from core.model_builder import build_model
from core.runs import Run, RunStore
from core.spec import ModelSpec
from core.training.config import TrainingConfig
from core.training.device import configure
from core.training.engine import TrainingResult, best_epoch, make_optimizer, train
from core.training.estimate import seconds_per_epoch
from core.training.evaluation import Evaluation, evaluate
from core.training.events import TrainingListener
from core.weights_download import reporting_downloads


@dataclass
class SessionResult:
    result: TrainingResult
    evaluation: Evaluation | None
    run: Run | None
    model: keras.Model


def run_session(
    spec: ModelSpec,
    dataset: Dataset,
    cfg: TrainingConfig,
    augmentation: AugmentationConfig | None = None,
    listener: TrainingListener | None = None,
    cancel: threading.Event | None = None,
    store: RunStore | None = None,
    label: str = "run",
    resume: Run | None = None,
    strategy: str = "auto",
) -> SessionResult:
    """Train ``spec`` on ``dataset`` and evaluate it on the test split.

    ``resume`` continues a stopped run in its own folder: Keras's
    BackupAndRestore brings back the weights and epoch of its last completed
    epoch, and the history recorded so far is kept in front of the new one.
    Without a backup (BackupAndRestore off) it continues from the run's last
    saved model. Either way it starts at the next epoch, so the history CSV is
    appended to and the run never trains more (or fewer) epochs than asked.

    With a backbone and ``cfg.fine_tune``, the run has two phases (see
    ``core.training.engine``); the run's record keeps ``phase_boundary``, the
    first epoch of phase 2, for the chart.

    ``strategy`` is where it trains (``core.training.device.STRATEGIES``); the
    batch size stays the global batch, split evenly over the replicas.
    """
    aug = augmentation or AugmentationConfig()
    keras.utils.set_random_seed(cfg.seed)
    h, w, c = spec.input.shape
    classes = dataset.num_classes
    one_hot = aug.needs_one_hot
    sigmoid = spec.head.units == 1

    def labels_for_loss(ds: tf.data.Dataset, already_one_hot: bool) -> tf.data.Dataset:
        if not one_hot:
            return ds
        if not already_one_hot:
            ds = ds.map(lambda x, y: (x, tf.one_hot(tf.cast(y, tf.int32), classes)))
        # One sigmoid unit predicts class 1: keep that column of the soft label.
        return ds.map(lambda x, y: (x, y[:, 1:])) if sigmoid else ds

    train_ds = make_tf_dataset(
        dataset, "train", (h, w), c, cfg.batch_size, True, cfg.seed, cfg.cache_data
    )
    device = configure(cfg.mixed_precision, strategy)
    device.check_batch(cfg.batch_size)
    in_model = aug.any_active and placement(aug) == "model"
    if aug.any_active and not in_model:
        train_ds = augment_dataset(train_ds, aug, classes, cfg.seed, cfg.batch_size)
    train_ds = labels_for_loss(train_ds, already_one_hot=True)
    val_ds = None
    if len(dataset.splits["validation"]):
        val_ds = make_tf_dataset(
            dataset, "validation", (h, w), c, cfg.batch_size, cache=cfg.cache_data
        )
        val_ds = labels_for_loss(val_ds, already_one_hot=False)
    loss = _loss(sigmoid, one_hot)

    def batches(split: str) -> int:
        return math.ceil(len(dataset.splits[split]) / cfg.batch_size)

    steps = int(train_ds.cardinality().numpy())
    if steps < 0:  # a folder read with ignore_errors: count the batches ourselves
        steps = batches("train")
    steps = max(1, steps)
    # ImageNet weights missing from Keras's cache download here, with progress.
    downloading = reporting_downloads(getattr(listener, "on_download", None), cancel)
    with device.strategy.scope(), downloading:
        model = build_model(spec, float32_output=device.mixed_precision)
        fit_model = model
        if in_model:
            inputs = keras.Input(spec.input.shape, name="image")
            fit_model = keras.Model(
                inputs, model(build_augmenter(aug, cfg.seed)(inputs))
            )
        fit_model.compile(
            optimizer=make_optimizer(cfg, steps), loss=loss, metrics=["accuracy"]
        )
    unfreeze = _fine_tuning(model, spec, cfg)  # checked before any run folder
    weights = None
    # Keras weighs one-hot (MixUp/CutMix) labels by their argmax; a sigmoid head's
    # soft single column has no class index, so it trains unweighted.
    if cfg.class_weights and not (one_hot and sigmoid):
        weights = class_weights(dataset.splits["train"].class_counts(classes))
    if listener is not None and hasattr(listener, "on_estimate"):
        # Measured on a copy before the run, so the user sees it before epoch 1.
        val_steps = batches("validation")
        seconds = seconds_per_epoch(fit_model, train_ds, steps, 4, val_ds, val_steps)
        listener.on_estimate(seconds, device.description)
    previous: dict[str, list[float]] = {}
    initial_epoch = 0
    boundary = None
    if resume is not None:
        run: Run | None = resume
        previous = resume.history()  # a killed run's comes from its CSV log
        boundary = resume.record().get("phase_boundary")
        initial_epoch = len(previous.get("loss", []))
        last = resume.path / "last.keras"
        if initial_epoch and not (resume.path / "backup").is_dir() and last.is_file():
            fit_model.load_weights(last)
    else:
        run = (
            store.create(label, _run_config(spec, dataset, cfg, aug)) if store else None
        )
    result = train(
        fit_model,
        train_ds,
        val_ds,
        cfg,
        listener,
        cancel,
        run.path if run else None,
        initial_epoch=initial_epoch,
        class_weight=weights,
        device=device.description,
        steps_per_epoch=steps,
        unfreeze=unfreeze,
    )
    if result.phase_boundary is None:
        result.phase_boundary = boundary
    skipped: list[str] = []
    if result.epochs_run:  # a complete pass: every file met the decoder once
        skipped += report_undecodable(dataset, "train")
        if val_ds is not None:
            skipped += report_undecodable(dataset, "validation")
    if previous:
        keys = set(previous) | set(result.history)
        result.history = {
            k: previous.get(k, []) + result.history.get(k, []) for k in keys
        }
        result.epochs_run = len(result.history.get("loss", []))
        result.best_epoch = best_epoch(result.history, cfg.checkpoint_monitor)
    evaluation = None
    if len(dataset.splits["test"]):
        test_ds = make_tf_dataset(
            dataset, "test", (h, w), c, cfg.batch_size, cache=cfg.cache_data
        )
        with device.strategy.scope():  # a model built under a strategy stays in it
            model.compile(loss=_loss(sigmoid, False), metrics=["accuracy"])
        evaluation = evaluate(model, test_ds, dataset.class_names)
        order = decoded_indices(dataset, "test")
        if order is not None:  # so its indices name the right test images
            evaluation = evaluation.for_split(order, len(dataset.splits["test"]))
        skipped += report_undecodable(dataset, "test")
    if skipped:
        names = ", ".join(Path(p).name for p in skipped[:5])
        more = f" and {len(skipped) - 5} more" if len(skipped) > 5 else ""
        note = (
            f"{len(skipped)} images could not be decoded and were skipped "
            f"({names}{more}; listed on the Data page)"
        )
        result.message = f"{result.message}; {note}" if result.message else note
    if run is not None:
        for saved in (result.best_path, result.last_path):
            if saved:  # so a run's model opens elsewhere with its class names
                write_class_names(saved, dataset.class_names)
        (store or RunStore(run.path.parent)).finish(
            run,
            {**_record(result), "replicas": device.replicas, "skipped_images": skipped},
            evaluation.to_dict() if evaluation else None,
        )
    return SessionResult(result, evaluation, run, model)


def _fine_tuning(
    model: keras.Model, spec: ModelSpec, cfg: TrainingConfig
) -> Callable[[], Any] | None:
    """Phase 2's unfreezing, when the config asks for it and there is a backbone."""
    if not cfg.fine_tune or spec.backbone is None:
        return None
    options = cfg.fine_tune_options()
    freeze_plan(model, spec, options)  # a wrong layer fails now, not after phase 1
    return lambda: apply_freeze(model, spec, options)


def _loss(sigmoid: bool, one_hot: bool) -> str:
    if sigmoid:
        return "binary_crossentropy"
    return "categorical_crossentropy" if one_hot else "sparse_categorical_crossentropy"


def _run_config(
    spec: ModelSpec, dataset: Dataset, cfg: TrainingConfig, aug: AugmentationConfig
) -> dict[str, Any]:
    return {
        "model": spec.to_dict(),
        "dataset": {"name": dataset.name, "classes": dataset.class_names},
        "augmentation": aug.to_dict(),
        "training": cfg.to_dict(),
    }


def _record(result: TrainingResult) -> dict[str, Any]:
    return {
        "epochs_run": result.epochs_run,
        "stop_reason": result.stop_reason.value,
        "message": result.message,
        "best_epoch": result.best_epoch,
        "best_path": result.best_path,
        "last_path": result.last_path,
        "device": result.device,
        "history": result.history,
        "phase_boundary": result.phase_boundary,
    }
