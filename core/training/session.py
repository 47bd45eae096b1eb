"""run_session: one training run from a project's settings, end to end, headless.

Builds the model from its spec, the tf.data pipelines from the dataset, puts
augmentation where the config says, trains with ``train``, evaluates on the
test split, and records it all in a run folder. The desktop's worker calls this
same function, so the GUI and a script train identically.

``run_session`` is the entry point: it checks the settings (``preflight``),
takes the run folder and its lock, and records a failure; between those it
runs three steps, each usable alone: ``prepare`` (device, pipelines, compiled
model; nothing written), ``train_prepared`` (``engine.train`` into the run
folder, continuing a resume) and ``finish`` (the test split's evaluation and
the run's record).
"""

from __future__ import annotations

import contextlib
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import keras
import tensorflow as tf

from core.augmentation.config import AugmentationConfig
from core.augmentation.pipeline import augment_dataset, build_augmenter, placement
from core.backbone_builder import apply_freeze, freeze_plan
from core.data.dataset import Dataset, class_weights
from core.data.memory import free_gpu_memory
from core.data.pipeline import decoded_indices, make_tf_dataset, undecodable
from core.data.spec import DatasetSpec
from core.errors import WorkbenchError
from core.model_builder import build_model
from core.model_files.loading import load_model_file
from core.run_lock import locked_run
from core.run_model import FINAL, run_model
from core.runs import Run, RunStore
from core.spec import ModelSpec
from core.temperature import calibrated_model
from core.training.compile import compile_for
from core.training.config import TrainingConfig
from core.training.device import configure
from core.training.distributed_loop import local_copy, worker_plan
from core.training.engine import TrainingResult, train
from core.training.estimate import seconds_per_epoch
from core.training.evaluation import Evaluation, as_given_figures, evaluate
from core.training.events import StopReason, TrainingListener
from core.training.fingerprint import data_fingerprint
from core.training.loss import loss_for, one_hot_labels
from core.training.multi_worker import cluster_task, refuse_unsupported
from core.training.preflight import check_preflight, check_settings
from core.training.restart import Restart, Start, check_restart, continue_run
from core.training.sharding import worker_shard
from core.training.whitening import whiten, whitening_batches
from core.tta import with_tta
from core.weights_download import reporting_downloads


@dataclass
class SessionResult:
    result: TrainingResult
    evaluation: Evaluation | None
    run: Run | None
    # the run's model (core.run_model): best.keras when kept; None when it kept none
    model: keras.Model | None
    dataset: Dataset | None = None  # what it trained on, e.g. to show the results
    # (path, reason) of the files it could not decode, for the dataset's owner
    skipped: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Prepared:
    """The built model and pipelines: everything made before a run folder."""

    model: keras.Model
    fit_model: keras.Model
    train_ds: tf.data.Dataset
    val_ds: tf.data.Dataset | None
    steps: int
    device: Any
    unfreeze: Callable[[], Any] | None
    weights: dict[int, float] | None
    dataset: Dataset  # what it trains on: under multi-worker, this worker's share
    # the alternating flip's epoch counter (core.recipe.augment.augment_dataset)
    epochs: tf.Variable | None = None
    whitening: dict[str, Any] | None = None  # what core.training.whitening did


@dataclass
class Trained:
    """What ``train_prepared`` ran, and the history a resume continued."""

    result: TrainingResult  # this session's epochs only
    previous: dict[str, list[float]]  # the epochs before them (a resume's)


def run_session(
    spec: ModelSpec,
    *,
    dataset: Dataset,
    cfg: TrainingConfig,
    augmentation: AugmentationConfig | None = None,
    listener: TrainingListener | None = None,
    cancel: threading.Event | None = None,
    store: RunStore | None = None,
    label: str = "run",
    resume: Run | None = None,
    data_spec: DatasetSpec | None = None,
    strategy: str = "auto",
    test: bool = True,
) -> SessionResult:
    """Train ``spec`` on ``dataset`` and evaluate it on the test split.

    ``data_spec`` (how ``dataset`` was opened) is recorded in the run's
    ``config.json`` with a fingerprint of the data, so the run can later be
    resumed, evaluated or exported from its folder alone
    (``core.training.resume.resume_session``).

    ``resume`` continues a run in its own folder, as it was recorded: the
    model, augmentation and settings must be the run's (only
    ``restart.RESUME_CHANGEABLE`` may differ) and the data must match its
    fingerprint, else WorkbenchError says what differs. Keras's
    BackupAndRestore brings back the weights of its last backed-up epoch (the
    history is cut back to it, so history and weights agree); without a
    backup it continues from the run's last saved model. Each resume is
    appended to the record's ``resumes`` (when, from which epoch, what
    changed).

    A stopped (cancelled) run is not evaluated on the test set: Stop means
    stop; ``core.training.evaluation.evaluate_run`` does it on request.
    ``test=False`` never evaluates it there: a sweep's trials choose settings
    by validation, and a test figure seen while choosing is no longer a test.

    With a backbone and ``cfg.fine_tune``, the run has two phases (see
    ``core.training.engine``); the run's record keeps ``phase_boundary``, the
    first epoch of phase 2, for the chart.

    ``strategy`` is where it trains (``core.training.device.STRATEGIES``); the
    batch size stays the global batch, split evenly over the replicas. The
    run folder is locked while it trains (``core.run_lock``): a second
    process training into it is refused. Under ``multi-worker`` every worker
    calls this; each trains on its own share of the train split, and only the
    chief writes, resumes and evaluates the run; the others receive its state
    (``core.training.distributed_loop``).

    Raises:
        WorkbenchError: settings refused before the run starts (no run
            folder is made), or a run that failed; a failed run's
            ``run.json`` says ``stop_reason: failed`` and why.
    """
    aug = augmentation or AugmentationConfig()
    cancel = cancel or threading.Event()
    check_settings(cfg)  # refused before a run folder is made
    if strategy == "multi-worker":
        refuse_unsupported(cfg)  # ema, norm_lr_factor, jit_compile
    # The Training page's refusal, word for word, for every caller.
    check_preflight(spec, dataset, cfg, gpu_available=free_gpu_memory())
    if strategy == "multi-worker" and not cluster_task().chief:
        store, resume = None, None  # only the chief writes or resumes the run
    with contextlib.ExitStack() as lock:
        if resume is not None:  # locked before the resume reads or cuts it
            lock.enter_context(locked_run(resume.path))
        restart = (
            check_restart(resume, spec, dataset, cfg, aug, data_spec)
            if resume
            else None
        )
        run: Run | None = resume

        def new_run() -> Run | None:
            if store is None:
                return None
            made = store.create(label, _run_config(spec, dataset, cfg, aug, data_spec))
            lock.enter_context(locked_run(made.path))
            return made

        try:
            prepared = prepare(spec, dataset, cfg, aug, listener, cancel, strategy)
        except WorkbenchError:
            raise  # the settings were refused: nothing ran, so no run is recorded
        except Exception as exc:
            raise _failed(run or new_run(), exc) from exc
        run = run or new_run()
        try:
            trained = train_prepared(prepared, cfg, listener, cancel, run, restart)
            return finish(prepared, trained, cfg, run, test=test)
        except Exception as exc:
            raise _failed(run, exc) from exc


def prepare(
    spec: ModelSpec,
    dataset: Dataset,
    cfg: TrainingConfig,
    aug: AugmentationConfig,
    listener: TrainingListener | None = None,
    cancel: threading.Event | None = None,
    strategy: str = "auto",
) -> Prepared:
    """Step 1: the device, the tf.data pipelines and the compiled model.

    Nothing is written: a refusal here (a wrong fine-tuning layer, a batch
    the replicas cannot split) leaves no run folder. A listener with
    ``on_estimate`` hears the seconds an epoch will take before epoch 1.
    ``cfg`` has passed ``check_settings`` (``run_session`` checks it first).
    The run's seed is set here, once, before the model's weights are drawn;
    ``train_prepared`` does not set it again.
    """
    cancel = cancel or threading.Event()
    keras.utils.set_random_seed(cfg.seed)
    # First: a multi-worker strategy must exist before any other TensorFlow op.
    device = configure(cfg.precision, strategy)
    device.check_batch(cfg.batch_size)
    # whitening's sample: from the whole dataset, the same on every worker
    sample = whitening_batches(spec, dataset, cfg.seed)
    if device.workers > 1:  # this worker's share, cut before any decoding
        dataset = worker_shard(dataset, "train", device.worker, device.workers)
    _stage(listener, "building the data pipeline")
    epochs = None
    if aug.alternating:
        epochs = tf.Variable(0, dtype=tf.int64, trainable=False)
    train_ds, val_ds, steps = _pipelines(spec, dataset, cfg, aug, device, epochs)
    one_hot = one_hot_labels(spec.head.units, aug.needs_one_hot, cfg.label_smoothing)
    # ImageNet weights missing from Keras's cache download here, with progress.
    downloading = reporting_downloads(getattr(listener, "on_download", None), cancel)
    _stage(listener, "building the model")
    with device.strategy.scope(), downloading:
        model = build_model(spec, float32_output=device.mixed)
        whitening = whiten(model, spec, sample)  # before compiling
        fit_model = model
        if aug.any_active and placement(aug) == "model":
            inputs = keras.Input(spec.input.shape, name="image")
            fit_model = keras.Model(
                inputs, model(build_augmenter(aug, cfg.seed)(inputs))
            )
        compile_for(fit_model, cfg, steps, one_hot)
    unfreeze = _fine_tuning(model, spec, cfg)  # checked before any run folder
    weights = None
    # Keras weighs one-hot (MixUp/CutMix) labels by their argmax; a sigmoid head's
    # soft single column has no class index, so it trains unweighted.
    if cfg.class_weights and not (aug.needs_one_hot and spec.head.units == 1):
        weights = class_weights(
            dataset.splits["train"].class_counts(dataset.num_classes)
        )
    prepared = Prepared(
        model,
        fit_model,
        train_ds,
        val_ds,
        steps,
        device,
        unfreeze,
        weights,
        dataset,
        epochs,
        whitening,
    )
    if (
        listener is not None
        and hasattr(listener, "on_estimate")
        and not cancel.is_set()  # stopped (or the window closed) while preparing
    ):
        _stage(listener, "measuring a few batches")
        _estimate(prepared, cfg, listener)
    return prepared


def _stage(listener: TrainingListener | None, stage: str) -> None:
    if listener is not None and hasattr(listener, "on_stage"):
        listener.on_stage(stage)


def _pipelines(
    spec: ModelSpec,
    dataset: Dataset,
    cfg: TrainingConfig,
    aug: AugmentationConfig,
    device: Any,
    epochs: tf.Variable | None = None,
) -> tuple[tf.data.Dataset, tf.data.Dataset | None, int]:
    """The train and validation pipelines, labels as the loss takes them, and the
    batches of an epoch; ``epochs`` numbers the alternating flip's passes."""
    h, w, c = spec.input.shape
    classes = dataset.num_classes
    one_hot = one_hot_labels(spec.head.units, aug.needs_one_hot, cfg.label_smoothing)
    sigmoid = spec.head.units == 1

    def labels_for_loss(ds: tf.data.Dataset, already_one_hot: bool) -> tf.data.Dataset:
        if not one_hot:
            return ds
        if not already_one_hot:
            ds = ds.map(lambda x, y: (x, tf.one_hot(tf.cast(y, tf.int32), classes)))
        # One sigmoid unit predicts class 1: keep that column of the label.
        return ds.map(lambda x, y: (x, y[:, 1:])) if sigmoid else ds

    batch = device.worker_batch(cfg.batch_size)
    train_ds = make_tf_dataset(
        dataset, "train", (h, w), c, batch, True, cfg.seed, cfg.cache_data
    )
    if aug.any_active and placement(aug) != "model":
        train_ds = augment_dataset(train_ds, aug, classes, cfg.seed, batch, epochs)
    train_ds = labels_for_loss(train_ds, already_one_hot=aug.needs_one_hot)
    val_ds = None
    if len(dataset.splits["validation"]):
        val_ds = make_tf_dataset(
            dataset, "validation", (h, w), c, cfg.batch_size, cache=cfg.cache_data
        )
        val_ds = labels_for_loss(val_ds, already_one_hot=False)
    steps = int(train_ds.cardinality().numpy())
    if steps < 0:  # a folder read with ignore_errors: count the batches ourselves
        steps = _batches(dataset, "train", cfg.batch_size)
    return train_ds, val_ds, max(1, steps)


def _batches(dataset: Dataset, split: str, batch_size: int) -> int:
    return math.ceil(len(dataset.splits[split]) / batch_size)


def _estimate(
    prepared: Prepared, cfg: TrainingConfig, listener: TrainingListener
) -> None:
    """Measured on a copy before the run, so the user sees it before epoch 1."""
    val_steps = _batches(prepared.dataset, "validation", cfg.batch_size)
    seconds = seconds_per_epoch(
        prepared.fit_model,
        prepared.train_ds,
        prepared.steps,
        4,
        prepared.val_ds,
        val_steps,
    )
    listener.on_estimate(seconds, prepared.device.description)


def train_prepared(
    prepared: Prepared,
    cfg: TrainingConfig,
    listener: TrainingListener | None = None,
    cancel: threading.Event | None = None,
    run: Run | None = None,
    restart: Restart | None = None,
) -> Trained:
    """Step 2: ``train`` the prepared model into ``run``'s folder (if any).

    A resume (``restart``, from ``run_session``'s checks) first cuts the run's
    log back to the epoch it restarts from and notes the resume in its record.
    """
    cancel = cancel or threading.Event()
    start = Start()
    if run is not None and restart is not None:
        start = continue_run(run, restart, cfg, prepared.model)
    if prepared.epochs is not None:  # the estimate drew batches: count from here
        prepared.epochs.assign(start.epoch)
    device, folder = prepared.device, run.path if run else None
    with worker_plan(device, cancel, folder, prepared.steps, cfg.batch_size) as plan:
        result = train(
            prepared.fit_model,
            prepared.train_ds,
            prepared.val_ds,
            cfg,
            listener,
            plan.cancel,
            plan.run_dir,
            initial_epoch=start.epoch,
            class_weight=prepared.weights,
            device=device.description,
            steps_per_epoch=prepared.steps,
            unfreeze=prepared.unfreeze,
            resume_state=start.state,
            checkpoint_model=prepared.model,
            class_names=prepared.dataset.class_names,
            fit=plan.fit,
            seeded=True,
        )
    if result.phase_boundary is None:
        result.phase_boundary = start.boundary
    if start.note:  # e.g. the optimizer's state restarts
        result.message = "; ".join(m for m in (start.note, result.message) if m)
    return Trained(result, start.history)


def finish(
    prepared: Prepared,
    trained: Trained,
    cfg: TrainingConfig,
    run: Run | None = None,
    test: bool = True,
) -> SessionResult:
    """Step 3: evaluate the run's model on the test split and record the run.

    The model tested, and returned, is the run's model (``core.run_model``):
    ``best.keras`` when the run kept one, not the weights ``fit`` ended with.
    A stopped run is not evaluated (Stop means stop: ``evaluate_run`` does it
    on request), nor one that kept no model (it diverged before its first
    epoch ended: its weights are NaN). Images that could not be decoded are
    named in the message.
    """
    result, dataset = trained.result, prepared.dataset
    skipped: list[tuple[str, str]] = []
    if result.epochs_run:  # a complete pass: every file met the decoder once
        skipped += undecodable(dataset, "train")
        if prepared.val_ds is not None:
            skipped += undecodable(dataset, "validation")
    if trained.previous:
        previous = trained.previous
        keys = set(previous) | set(result.history)
        result.history = {
            k: previous.get(k, []) + result.history.get(k, []) for k in keys
        }
        result.epochs_run = len(result.history.get("loss", []))
    model, kind = _the_run_model(prepared, result, run)
    evaluation = None
    on_test = test and not result.cancelled and prepared.device.chief
    if model is not None and on_test:
        evaluation, untested = evaluate_test_split(
            model, dataset, cfg.batch_size, cfg.cache_data, tta=cfg.tta
        )
        skipped += untested
    if skipped:
        note = _skipped_note(skipped)
        result.message = f"{result.message}; {note}" if result.message else note
    if run is not None:
        RunStore(run.path.parent).finish(
            run,
            {
                **_record(result),
                "replicas": prepared.device.replicas,
                # what the run computed in: the policy and whether XLA compiled
                "precision": prepared.device.policy,
                "jit_compile": bool(prepared.fit_model.jit_compile),
                "skipped_images": [path for path, _ in skipped],
                "resumes": run.config().get("resumes", []),
                "model": kind,
                **({"whitening": prepared.whitening} if prepared.whitening else {}),
            },
            evaluation.to_dict() if evaluation else None,
            kind,
        )
    return SessionResult(result, evaluation, run, model, dataset, skipped)


def _the_run_model(
    prepared: Prepared, result: TrainingResult, run: Run | None
) -> tuple[keras.Model | None, str | None]:
    """The run's model and its kind (``core.run_model``), or (None, None).

    With a run folder, the file the rule names (``best.keras``, else
    ``last.keras``), loaded: after a divergence ``last.keras`` is an earlier
    session's and the weights in memory are NaN. Without a folder, the
    weights in memory, unless they diverged.
    """
    if run is None:
        if result.stop_reason is StopReason.DIVERGED:
            return None, None
        model = prepared.model
        if prepared.device.workers > 1:  # Keras's evaluate fails under the strategy
            model = local_copy(model)
        return model, FINAL
    kept = run_model(run.path)
    if kept is None:
        return None, None
    return load_model_file(kept.path), kept.kind


def _skipped_note(skipped: list[tuple[str, str]]) -> str:
    names = ", ".join(Path(p).name for p, _ in skipped[:5])
    more = f" and {len(skipped) - 5} more" if len(skipped) > 5 else ""
    return (
        f"{len(skipped)} images could not be decoded and were skipped "
        f"({names}{more}; the Data page and python -m core dataset-info list them)"
    )


def evaluate_test_split(
    model: keras.Model,
    dataset: Dataset,
    batch_size: int,
    cache: bool = True,
    size: tuple[int, int] | None = None,
    tta: str = "none",
    temperature: float | None = None,
) -> tuple[Evaluation | None, list[tuple[str, str]]]:
    """``model`` on ``dataset``'s test split, and the test files it could not decode.

    None when there is no test split. The evaluation's indices are the
    split's, even when files were skipped. ``size`` is the size images are
    decoded at, for a model that takes any size (an exported one); else the
    model's input says it. The loss reported is plain cross-entropy on the
    class indices, with no label smoothing and no mixing (the run's own
    settings do not matter), so test losses compare across runs; the training
    curves' loss and val_loss include the run's smoothing and read higher.
    ``tta`` (``core.tta``) averages the probabilities, so the loss, over its
    views; the evaluation names it. ``temperature`` (``core.temperature``)
    divides each view's logits first: the run's calibration. When the
    exclusion list changed the test split, the figures are the cleaned
    split's and ``as_given`` holds the split's as given too.
    """
    if not len(dataset.splits["test"]):
        return None, []
    as_given = None
    if dataset.cleaned("test"):
        view = Dataset(dataset.name, dataset.class_names, dataset.given or {})
        given, _ = evaluate_test_split(
            model, view, batch_size, cache, size, tta, temperature
        )
        as_given = None if given is None else as_given_figures(given)
    _, h, w, c = model.inputs[0].shape
    h, w = size or (h, w)
    if not (h and w):  # a run's model takes one size; an export takes any
        raise WorkbenchError(
            "the model takes images of any size, as an exported one does, so it is "
            "not the model its run trained (was an export written over it?): "
            "evaluate it with --dataset instead"
        )
    test_ds = make_tf_dataset(dataset, "test", (h, w), c, batch_size, cache=cache)
    units = int(model.outputs[0].shape[-1])
    # The loss comes from the predictions, not a compile: compiling for it put
    # Keras's default optimizer (RMSprop) into the model, and so into its export.
    if temperature is None:
        tested = with_tta(model, tta, input_shape=(h, w, c))
    else:
        tested = calibrated_model(model, temperature, tta, input_shape=(h, w, c))
    evaluation = evaluate(tested, test_ds, dataset.class_names, loss=loss_for(units))
    evaluation = replace(
        evaluation, tta=tta, temperature=temperature, as_given=as_given
    )
    order = decoded_indices(dataset, "test")
    if order is not None:  # so its indices name the right test images
        evaluation = evaluation.for_split(order, len(dataset.splits["test"]))
    return evaluation, undecodable(dataset, "test")


def _failed(run: Run | None, exc: Exception) -> WorkbenchError:
    """Record in ``run.json`` that the run failed and why; the error to raise.

    The record keeps what the run had: its history so far (the CSV log's, if
    longer) and, from an earlier session, the last model it saved.
    """
    if isinstance(exc, WorkbenchError):
        message = str(exc)
    else:
        text = str(exc).strip()
        message = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    if run is None:  # nothing to record in (a run without a folder)
        return WorkbenchError(message)
    try:
        history = run.history()
        record = {
            **run.record(),
            "epochs_run": len(history.get("loss", [])),
            "stop_reason": StopReason.FAILED.value,
            "message": message,
            "history": history,
            "resumes": run.config().get("resumes", []),
            "model": getattr(run_model(run.path), "kind", None),
        }
        RunStore(run.path.parent).finish(run, record)
    except (OSError, WorkbenchError) as unrecorded:  # e.g. a full disk
        return WorkbenchError(f"{message} (not recorded: {unrecorded})")
    return WorkbenchError(f"{message} (recorded in {run.path / 'run.json'})")


def _fine_tuning(
    model: keras.Model, spec: ModelSpec, cfg: TrainingConfig
) -> Callable[[], Any] | None:
    """Phase 2's unfreezing, when the config asks for it and there is a backbone."""
    if not cfg.fine_tune or spec.backbone is None:
        return None
    options = cfg.fine_tune_options()
    freeze_plan(model, spec, options)  # a wrong layer fails now, not after phase 1
    return lambda: apply_freeze(model, spec, options)


def _run_config(
    spec: ModelSpec,
    dataset: Dataset,
    cfg: TrainingConfig,
    aug: AugmentationConfig,
    data_spec: DatasetSpec | None,
) -> dict[str, Any]:
    return {
        "model": spec.to_dict(),
        "dataset": {
            "name": dataset.name,
            "classes": dataset.class_names,
            "spec": data_spec.to_dict() if data_spec else None,
            "fingerprint": data_fingerprint(dataset),
        },
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
        # the epochs ``last.keras`` holds: where a run without a backup resumes
        "last_model_epochs": result.epochs_run if result.last_path else None,
        "best_value": result.best_value,
        "phases": result.phases,
        "callback_state": result.callback_state,
    }
