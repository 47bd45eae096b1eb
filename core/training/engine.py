"""train(): ``model.fit`` with the tutorials' callbacks, a listener and a cancel.

GUI-free and usable from scripts. Whatever ends the run (completion, early
stopping, a cancel, a NaN loss) the result records what actually ran: epochs
completed, why it stopped, the best epoch, and where the best and last models
are. A run folder keeps the best model (ModelCheckpoint), a backup to resume
from (BackupAndRestore), the history CSV and, on request, TensorBoard logs.

Transfer learning runs in two phases in one call: with ``cfg.fine_tune`` and
an ``unfreeze`` function, the head trains for ``cfg.epochs`` epochs, then
``unfreeze`` makes the chosen backbone layers trainable, the model is
recompiled (Keras fixes the trainable set at compile time) at the lower
learning rate, and ``fit`` continues with ``initial_epoch`` where phase 1
ended, so the history and the chart are one continuous run. The listener's
optional ``on_phase_begin(phase, epoch)`` and ``TrainingResult.phase_boundary``
tell where phase 2 starts.

Example:
    result = train(model, train_ds, val_ds, TrainingConfig(epochs=5), run_dir=path)
    print(result.stop_reason, result.best_epoch)
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keras
import tensorflow as tf

from core.errors import WorkbenchError
from core.training.callbacks import Diverged, ListenerCallback, TrainingCancelled
from core.training.config import TrainingConfig
from core.training.device import describe, visible_gpus
from core.training.distributed_loop import WorkerLost
from core.training.events import NullListener, StopReason, TrainingListener


@dataclass
class TrainingResult:
    """What ran, not only what was configured."""

    history: dict[str, list[float]]
    epochs_run: int
    stop_reason: StopReason
    best_epoch: int | None = None
    best_path: str | None = None
    last_path: str | None = None
    message: str = ""
    device: str = ""
    extra: dict[str, float] = field(default_factory=dict)
    phase_boundary: int | None = None  # the first epoch (0-based) of phase 2

    @property
    def cancelled(self) -> bool:
        return self.stop_reason is StopReason.CANCELLED


def compile_model(
    model: keras.Model, cfg: TrainingConfig, steps_per_epoch: int
) -> None:
    """Optimizer from the config; loss and metrics from the head's size."""
    units = int(model.outputs[0].shape[-1])
    loss = "binary_crossentropy" if units == 1 else "sparse_categorical_crossentropy"
    model.compile(
        optimizer=make_optimizer(cfg, steps_per_epoch),
        loss=loss,
        metrics=["accuracy"],
    )


def make_optimizer(
    cfg: TrainingConfig, steps_per_epoch: int
) -> keras.optimizers.Optimizer:
    lr: float | keras.optimizers.schedules.LearningRateSchedule = cfg.learning_rate
    if cfg.schedule == "cosine":
        lr = keras.optimizers.schedules.CosineDecay(
            cfg.learning_rate, decay_steps=max(1, cfg.epochs * steps_per_epoch)
        )
    if cfg.optimizer == "sgd":
        return keras.optimizers.SGD(lr, momentum=cfg.momentum, nesterov=cfg.nesterov)
    if cfg.optimizer == "rmsprop":  # as the tutorials use it: no momentum
        return keras.optimizers.RMSprop(lr)
    if cfg.optimizer == "adamw":
        return keras.optimizers.AdamW(lr, weight_decay=cfg.weight_decay)
    return keras.optimizers.Adam(lr)


def train(
    model: keras.Model,
    train_data: tf.data.Dataset,
    validation_data: tf.data.Dataset | None,
    cfg: TrainingConfig,
    listener: TrainingListener | None = None,
    cancel: threading.Event | None = None,
    run_dir: str | Path | None = None,
    initial_epoch: int = 0,
    class_weight: dict[int, float] | None = None,
    device: str | None = None,
    steps_per_epoch: int | None = None,
    unfreeze: Callable[[], Any] | None = None,
    fit: Callable[..., Any] | None = None,
) -> TrainingResult:
    """Train ``model`` (compiled here unless already compiled) and report.

    ``unfreeze`` (with ``cfg.fine_tune``) adds phase 2: it is called after
    phase 1 to make the backbone's chosen layers trainable (e.g.
    ``lambda: apply_freeze(model, spec, cfg.fine_tune_options())``).

    ``device`` is what the result calls the hardware; a session passes the one it
    configured (``core.training.device``), else the visible hardware is named.
    ``steps_per_epoch`` is the caller's count of batches for data whose
    cardinality TensorFlow cannot know (a folder read with ``ignore_errors``):
    the cosine schedule and the progress reported need it.

    ``fit`` replaces ``model.fit``, called with the model first and ``fit``'s
    arguments (the multi-worker loop, ``core.training.distributed_loop``).

    Raises:
        WorkbenchError: an invalid config (nothing is trained).
    """
    problems = cfg.problems()
    if problems:
        name, reason = problems[0]
        raise WorkbenchError(f"training setting {name}: {reason}")
    cancel = cancel or threading.Event()
    keras.utils.set_random_seed(cfg.seed)
    steps = int(train_data.cardinality().numpy())
    if steps < 0 and steps_per_epoch:
        steps = steps_per_epoch
    if not model.compiled:
        compile_model(model, cfg, max(steps, 1))
    two_phase = cfg.fine_tune and unfreeze is not None
    total = cfg.epochs + (cfg.fine_tune_epochs if two_phase else 0)
    bridge = ListenerCallback(
        listener or NullListener(), cancel, total, steps=max(steps, 0)
    )
    folder = Path(run_dir) if run_dir else None
    callbacks, best_path = _callbacks(
        cfg, folder, validation_data is not None, initial_epoch
    )
    early = next(
        (c for c in callbacks if isinstance(c, keras.callbacks.EarlyStopping)), None
    )
    phases = [(cfg.epochs, None)]
    if two_phase:
        phases.append((total, unfreeze))
        # Resuming a run stopped in phase 2: unfreeze before BackupAndRestore
        # loads the backup, so the optimizer's state matches the weights saved.
        backup = _backup_epoch(folder) if folder is not None else -1
        if max(backup, initial_epoch) >= cfg.epochs:
            phases = phases[1:]
    reason, message = StopReason.COMPLETED, ""
    boundary = None
    for end, phase_unfreeze in phases:
        start = initial_epoch
        if phase_unfreeze is not None:
            start = max(initial_epoch, cfg.epochs)
            boundary = cfg.epochs
            phase_unfreeze()
            model.compile(
                optimizer=make_optimizer(cfg.phase_two(), max(steps, 1)),
                loss=model.loss,
                metrics=["accuracy"],
            )
            bridge.phase_begins(2, cfg.epochs)
            for cb in callbacks:  # phase 1 wrote its epochs already
                if isinstance(cb, keras.callbacks.CSVLogger):
                    cb.append = True
        elif two_phase:
            bridge.phase_begins(1, initial_epoch)
        reason, message = _fit(
            model,
            train_data,
            validation_data,
            end,
            start,
            bridge,
            callbacks,
            class_weight,
            fit,
        )
        if reason not in (StopReason.COMPLETED, StopReason.EARLY_STOPPING):
            break
        if early is not None and early.stopped_epoch > 0:
            reason = StopReason.EARLY_STOPPING
            message = (
                f"no improvement in {cfg.early_stopping_monitor} for "
                f"{cfg.patience} epochs"
            )
            early.stopped_epoch = 0  # phase 2 judges itself
    epochs_run = len(next(iter(bridge.history.values()), []))
    last_path = None
    if folder is not None:
        last_path = str(folder / "last.keras")
        model.save(last_path)
    return TrainingResult(
        history=bridge.history,
        epochs_run=epochs_run,
        stop_reason=reason,
        best_epoch=best_epoch(bridge.history, cfg.checkpoint_monitor, initial_epoch),
        best_path=str(best_path) if best_path and best_path.exists() else None,
        last_path=last_path,
        message=message,
        device=device or describe(visible_gpus()),
        phase_boundary=boundary,
    )


def _fit(
    model: keras.Model,
    train_data: tf.data.Dataset,
    validation_data: tf.data.Dataset | None,
    epochs: int,
    initial_epoch: int,
    bridge: ListenerCallback,
    callbacks: list[keras.callbacks.Callback],
    class_weight: dict[int, float] | None,
    fit: Callable[..., Any] | None,
) -> tuple[StopReason, str]:
    """One ``fit``; whatever ends it, the reason and the user's message."""
    run_fit = model.fit if fit is None else functools.partial(fit, model)
    try:
        run_fit(
            train_data,
            validation_data=validation_data,
            epochs=epochs,
            initial_epoch=initial_epoch,
            callbacks=[bridge, *callbacks],
            class_weight=class_weight,
            shuffle=False,  # the tf.data pipeline shuffles, reproducibly
            verbose=0,
        )
    except TrainingCancelled:
        _close(callbacks)
        return StopReason.CANCELLED, "stopped by the user"
    except Diverged as exc:
        _close(callbacks)
        return StopReason.DIVERGED, str(exc)
    except WorkerLost as exc:  # the run stays resumable from its last backup
        _close(callbacks)
        return StopReason.FAILED, str(exc)
    except (tf.errors.ResourceExhaustedError, MemoryError):
        # Keep what ran: the history so far and the best checkpoint stay usable.
        _close(callbacks)
        return StopReason.FAILED, (
            f"out of memory at epoch {bridge.epoch + 1}: use a smaller batch size or "
            "image size, or switch off 'Cache images in memory'"
        )
    return StopReason.COMPLETED, ""


def _backup_epoch(folder: Path) -> int:
    """The epoch BackupAndRestore would resume at, or -1 without a backup."""
    try:
        data = json.loads((folder / "backup" / "training_metadata.json").read_text())
        return int(data["epoch"])
    except (OSError, ValueError, KeyError, TypeError):
        return -1


def _callbacks(
    cfg: TrainingConfig, folder: Path | None, has_validation: bool, initial_epoch: int
) -> tuple[list[keras.callbacks.Callback], Path | None]:
    out: list[keras.callbacks.Callback] = []
    best_path = None

    def monitor(name: str) -> str:
        # Without validation data the val_ metrics do not exist.
        return name if has_validation or not name.startswith("val_") else name[4:]

    if cfg.early_stopping:
        out.append(
            keras.callbacks.EarlyStopping(
                monitor=monitor(cfg.early_stopping_monitor),
                mode=_mode(cfg.early_stopping_monitor),
                patience=cfg.patience,
                restore_best_weights=cfg.restore_best_weights,
            )
        )
    if cfg.schedule == "plateau":
        out.append(keras.callbacks.ReduceLROnPlateau(monitor=monitor("val_loss")))
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
        if cfg.checkpoint:
            best_path = folder / "best.keras"
            out.append(
                keras.callbacks.ModelCheckpoint(
                    best_path,
                    monitor=monitor(cfg.checkpoint_monitor),
                    mode=_mode(cfg.checkpoint_monitor),
                    save_best_only=True,
                )
            )
        if cfg.backup_and_restore:
            out.append(keras.callbacks.BackupAndRestore(str(folder / "backup")))
        if cfg.csv_logger:
            out.append(
                keras.callbacks.CSVLogger(
                    str(folder / "history.csv"), append=initial_epoch > 0
                )
            )
        if cfg.tensorboard:
            out.append(keras.callbacks.TensorBoard(str(folder / "tensorboard")))
    return out, best_path


def _mode(monitor: str) -> str:
    """Explicit, so Keras never has to guess (it cannot for an uncompiled metric)."""
    return "max" if "accuracy" in monitor else "min"


def _close(callbacks: list[keras.callbacks.Callback]) -> None:
    """Let file-writing callbacks close their files after an aborted ``fit``."""
    for cb in callbacks:
        if isinstance(cb, (keras.callbacks.CSVLogger, keras.callbacks.TensorBoard)):
            cb.on_train_end()


def best_epoch(
    history: dict[str, list[float]], monitor: str, initial_epoch: int = 0
) -> int | None:
    """The epoch (0-based) whose ``monitor`` value was best."""
    key = monitor if monitor in history else monitor.removeprefix("val_")
    values = history.get(key)
    if not values:
        return None
    pick = max if "accuracy" in key else min
    return initial_epoch + values.index(pick(values))
