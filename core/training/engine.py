"""train(): ``model.fit`` with the tutorials' callbacks, a listener and a cancel.

GUI-free and usable from scripts. Whatever ends the run (completion, early
stopping, a cancel, a NaN loss) the result records what actually ran: epochs
completed, why it stopped, the best epoch, and where the best and last models
are. A run folder keeps the best model (``checkpoint.BestCheckpoint``, written
atomically), a backup to resume from (BackupAndRestore), the history CSV and,
on request, TensorBoard logs. A resumed run goes on from its recorded state
(``checkpoint.ResumeState``): the best model is only replaced by a better one,
early stopping's and ReduceLROnPlateau's counters continue, and a schedule
continues at the resumed step.

Transfer learning runs in two phases in one call: with ``cfg.fine_tune`` and
an ``unfreeze`` function, the head trains for ``cfg.epochs`` epochs, then
``unfreeze`` makes the chosen backbone layers trainable, the model is
recompiled (Keras fixes the trainable set at compile time) at the lower
learning rate, and ``fit`` continues with ``initial_epoch`` where phase 1
really ended (early stopping may end it sooner) for ``cfg.fine_tune_epochs``,
so the history and the chart are one continuous run. The listener's optional
``on_phase_begin(phase, epoch)``, ``TrainingResult.phase_boundary`` and
``TrainingResult.phases`` tell where phase 2 starts.

Example:
    result = train(model, train_ds, val_ds, TrainingConfig(epochs=5), run_dir=path)
    print(result.stop_reason, result.best_epoch)
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import keras
import tensorflow as tf

from core.recipe.optimizers import OneCycleRate, set_learning_rate, set_step
from core.recipe.weight_average import AveragedWeights
from core.training.backup import RunBackup
from core.training.best_epoch import (
    best_in_history,
    is_better,
    monitor_mode,
    monitored,
)
from core.training.callbacks import (
    Diverged,
    ListenerCallback,
    ResumableEarlyStopping,
    ResumableReduceLROnPlateau,
    TrainingCancelled,
)
from core.training.checkpoint import (
    BestCheckpoint,
    ModelWriteError,
    ResumeState,
    save_model,
)
from core.training.compile import (
    build_training_state,
    compile_for,
    labels_one_hot,
)
from core.training.config import TrainingConfig
from core.training.device import describe, visible_gpus
from core.training.distributed_loop import WorkerLost
from core.training.events import NullListener, StopReason, TrainingListener
from core.training.keras_warnings import no_false_end_of_data_warning
from core.training.preflight import check_settings

T = TypeVar("T")


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
    best_value: float | None = None  # what best.keras scores on the monitor
    # {first_epoch, epochs_run, stop_reason} per phase, resumed ones included
    phases: list[dict[str, Any]] = field(default_factory=list)
    # early stopping's / ReduceLROnPlateau's counters (ResumeState.callbacks)
    callback_state: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def cancelled(self) -> bool:
        return self.stop_reason is StopReason.CANCELLED


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
    resume_state: ResumeState | None = None,
    checkpoint_model: keras.Model | None = None,
    class_names: Sequence[str] | None = None,
    fit: Callable[..., Any] | None = None,
    *,
    seeded: bool = False,
) -> TrainingResult:
    """Train ``model`` (compiled here unless already compiled) and report.

    ``cfg`` is checked and its seed set first, unless the caller did both
    before building ``model`` and says so with ``seeded`` (a session does:
    a run checks and seeds once).

    ``unfreeze`` (with ``cfg.fine_tune``) adds phase 2: it is called after
    phase 1 to make the backbone's chosen layers trainable (e.g.
    ``lambda: apply_freeze(model, spec, cfg.fine_tune_options())``).

    ``device`` is what the result calls the hardware; a session passes the one it
    configured (``core.training.device``), else the visible hardware is named.
    ``steps_per_epoch`` is the caller's count of batches for data whose
    cardinality TensorFlow cannot know (a folder read with ``ignore_errors``):
    the cosine schedule and the progress reported need it.

    A resumed run passes ``resume_state`` (what its record says it reached:
    the best value, early stopping's counters, its phases) so the best model
    is only replaced by a better one and the counters go on. The run folder's
    ``best.keras``/``last.keras`` hold ``checkpoint_model`` (default
    ``model``): the model the user built, when ``model`` wraps it with
    augmentation, with ``class_names`` inside.

    ``fit`` replaces ``model.fit``, called with the model first and ``fit``'s
    arguments (the multi-worker loop, ``core.training.distributed_loop``).

    Raises:
        WorkbenchError: an invalid config (nothing is trained).
    """
    if not seeded:
        check_settings(cfg)
        keras.utils.set_random_seed(cfg.seed)
    cancel = cancel or threading.Event()
    state = resume_state or ResumeState()
    steps = _steps(train_data, steps_per_epoch)
    one_hot = labels_one_hot(train_data)
    if not model.compiled:
        compile_for(model, cfg, max(steps, 1), one_hot)
    two_phase = cfg.fine_tune and unfreeze is not None
    folder = Path(run_dir) if run_dir else None
    has_validation = validation_data is not None
    callbacks, best_path = _callbacks(cfg, folder, has_validation, initial_epoch)
    saved = checkpoint_model or model
    checkpoint = _best_checkpoint(
        cfg, best_path, saved, has_validation, state, class_names
    )
    backup = _backup_epoch(folder) if folder and cfg.backup_and_restore else -1
    start = backup if backup >= 0 else initial_epoch
    phases = [dict(p) for p in state.phases]
    boundary = _phase_two_start(cfg, start, phases) if two_phase else None
    phase = 1 if boundary is None else 2
    total = _planned_epochs(cfg, two_phase, boundary)
    bridge = ListenerCallback(listener or NullListener(), cancel, total, steps=steps)
    restarted = _restore_counters(callbacks, state, phase, resuming=start > 0)
    order = [*([checkpoint] if checkpoint else []), bridge, *callbacks]
    if state.learning_rate is not None:  # after BackupAndRestore in the order
        order.append(_NewLearningRate(cfg, state.learning_rate, lambda: phase))
    averaged, order = _averaging(cfg, order)
    reason, message, notes = StopReason.COMPLETED, "", []
    while True:
        first, end = 0, cfg.epochs
        if phase == 2:
            assert boundary is not None
            assert unfreeze is not None
            first, end = boundary, boundary + cfg.fine_tune_epochs
            _begin_phase_two(model, cfg, unfreeze, steps, one_hot, callbacks)
            bridge.epochs = end
        if two_phase:
            bridge.phase_begins(phase, first)
        # A schedule goes on from the resumed epoch (BackupAndRestore, when it
        # has a backup, restores the same count with the optimizer).
        set_step(model.optimizer, max(start - first, 0) * steps)
        _open_phase(phases, phase, first)
        done = len(bridge.epochs_done)
        reason, message = _fit(
            model,
            train_data,
            validation_data,
            end,
            start,
            bridge,
            order,
            class_weight,
            fit,
            averaged,
        )
        last = bridge.epochs_done[-1] + 1 if len(bridge.epochs_done) > done else start
        reason, message = _early_stop(cfg, callbacks, end, reason, message)
        phases[phase - 1] = _phase(first, last - first, reason)
        if phase == 2 or not two_phase or reason not in _PHASE_DONE:
            break
        if message:
            notes.append(f"phase 1 ended after epoch {last}: {message}")
        phase, boundary, start = 2, last, last
        restarted = set()  # phase 2's counters start afresh by design
        _discard_backup(callbacks)  # phase 2 starts from phase 1's end, as in Keras
    last_path, save_note = None, ""
    if folder is not None:
        last_path, save_note = _save_last(saved, folder, reason, class_names)
        reason, save_note = _keep_a_model(callbacks, reason, save_note, best_path)
    best = _best(checkpoint, state, bridge, cfg.checkpoint_monitor)
    extra = {"checkpoint_write_seconds": checkpoint.write_seconds} if checkpoint else {}
    return TrainingResult(
        history=bridge.history,
        epochs_run=len(bridge.epochs_done),
        stop_reason=reason,
        best_epoch=best[0] if best else None,
        best_value=best[1] if best else None,
        best_path=str(best_path) if best_path and best_path.exists() else None,
        last_path=last_path,
        message="; ".join(n for n in [*notes, message, save_note] if n),
        device=device or describe(visible_gpus()),
        extra=extra,
        phase_boundary=boundary if len(phases) > 1 else None,
        phases=phases,
        callback_state=_counter_state(callbacks, phase, restarted),
    )


def _steps(train_data: tf.data.Dataset, steps_per_epoch: int | None) -> int:
    """Batches an epoch: TensorFlow's count, else the caller's (0 if neither)."""
    steps = int(train_data.cardinality().numpy())
    if steps < 0 and steps_per_epoch:
        steps = steps_per_epoch
    return max(steps, 0)


def _best_checkpoint(
    cfg: TrainingConfig,
    best_path: Path | None,
    saved: keras.Model,
    has_validation: bool,
    state: ResumeState,
    class_names: Sequence[str] | None,
) -> BestCheckpoint | None:
    """The callback keeping ``best.keras``, from the best a resume recorded."""
    if best_path is None:
        return None
    return BestCheckpoint(
        best_path,
        saved,
        monitored(cfg.checkpoint_monitor, has_validation),
        monitor_mode(cfg.checkpoint_monitor),
        state.best_value,
        state.best_epoch,
        class_names,
    )


def _planned_epochs(cfg: TrainingConfig, two_phase: bool, boundary: int | None) -> int:
    """The run's last epoch: phase 2 ends where its recorded start says."""
    if boundary is not None:
        return boundary + cfg.fine_tune_epochs
    return cfg.epochs + (cfg.fine_tune_epochs if two_phase else 0)


def _open_phase(phases: list[dict[str, Any]], phase: int, first: int) -> None:
    """Give ``phase`` (and a killed run's unrecorded earlier one) its entry."""
    while len(phases) < phase - 1:  # a killed run recorded no phases
        phases.append(_phase(0, first, StopReason.COMPLETED))
    if len(phases) < phase:
        phases.append(_phase(first, 0, StopReason.COMPLETED))


def _early_stop(
    cfg: TrainingConfig,
    callbacks: list[keras.callbacks.Callback],
    end: int,
    reason: StopReason,
    message: str,
) -> tuple[StopReason, str]:
    """A completed ``fit`` that early stopping ended before ``end``, in words."""
    early = _find(callbacks, ResumableEarlyStopping)
    stopped = early.stopped_epoch if early else 0
    if reason is StopReason.COMPLETED and 0 < stopped < end - 1:
        return StopReason.EARLY_STOPPING, (
            f"no improvement in {cfg.early_stopping_monitor} for {cfg.patience} epochs"
        )
    return reason, message


class _NewLearningRate(keras.callbacks.Callback):
    """Set the rate a resume asked for once the backup has been restored.

    A schedule (or one cycle) needs nothing: it is rebuilt from the config,
    and the backup holds only its step count. With ``norm_lr_factor``, the
    norm layers' optimizer takes the new rate times the factor.
    """

    def __init__(
        self, cfg: TrainingConfig, rate: float, phase: Callable[[], int]
    ) -> None:
        super().__init__()
        self.cfg, self.rate, self.phase = cfg, rate, phase

    def on_train_begin(self, logs: dict | None = None) -> None:
        factor = self.cfg.fine_tune_lr_factor if self.phase() == 2 else 1.0
        set_learning_rate(
            self.model.optimizer, self.rate * factor, self.cfg.norm_lr_factor
        )


def _begin_phase_two(
    model: keras.Model,
    cfg: TrainingConfig,
    unfreeze: Callable[[], Any],
    steps: int,
    one_hot: bool,
    callbacks: list[keras.callbacks.Callback],
) -> None:
    """Unfreeze and compile anew: Keras fixes the trainable set at compile time."""
    unfreeze()
    compile_for(model, cfg, max(steps, 1), one_hot, phase=2)
    for cb in callbacks:  # phase 1 wrote its epochs already
        if isinstance(cb, keras.callbacks.CSVLogger):
            cb.append = True


_PHASE_DONE = (StopReason.COMPLETED, StopReason.EARLY_STOPPING)
_COUNTED: dict[str, type] = {
    "early_stopping": ResumableEarlyStopping,
    "plateau": ResumableReduceLROnPlateau,
}


def _phase(first_epoch: int, epochs_run: int, reason: StopReason) -> dict[str, Any]:
    return {
        "first_epoch": first_epoch,
        "epochs_run": epochs_run,
        "stop_reason": reason.value,
    }


def _phase_two_start(
    cfg: TrainingConfig, start: int, phases: list[dict[str, Any]]
) -> int | None:
    """Phase 2's first epoch when a resumed run is past phase 1, else None.

    The recorded phases say where phase 1 really ended (early stopping ends
    it before ``cfg.epochs``); a killed run recorded none, and its backup's
    epoch decides.
    """
    if len(phases) > 1:
        return int(phases[1]["first_epoch"])
    if phases:
        one = phases[0]
        if one["stop_reason"] in {r.value for r in _PHASE_DONE}:
            return int(one["first_epoch"]) + int(one["epochs_run"])
        return None
    return cfg.epochs if start >= cfg.epochs else None


def _find(callbacks: list[keras.callbacks.Callback], kind: type[T]) -> T | None:
    return next((c for c in callbacks if isinstance(c, kind)), None)


def _restore_counters(
    callbacks: list[keras.callbacks.Callback],
    state: ResumeState,
    phase: int,
    resuming: bool,
) -> set[str]:
    """Put back the counters the stopped run recorded; returns those that restart.

    Each phase judges itself, so counters recorded in another phase restart.
    """
    restarted = set()
    for name, kind in _COUNTED.items():
        callback = _find(callbacks, kind)
        recorded = state.callbacks.get(name)
        if callback is None:
            continue
        if recorded and recorded.get("phase", 1) == phase:
            callback.restore(recorded)
        elif resuming:
            restarted.add(name)
    return restarted


def _counter_state(
    callbacks: list[keras.callbacks.Callback], phase: int, restarted: set[str]
) -> dict[str, dict[str, Any]]:
    """What the run records of its counters, for the next resume."""
    out = {}
    for name, kind in _COUNTED.items():
        callback = _find(callbacks, kind)
        if callback is not None:
            restart = name in restarted
            out[name] = {**callback.counters(), "phase": phase, "restarted": restart}
    return out


def _save_last(
    model: keras.Model,
    folder: Path,
    reason: StopReason,
    class_names: Sequence[str] | None,
) -> tuple[str | None, str]:
    """Write ``last.keras``; its path (None without one) and a note if it failed.

    After a NaN loss the weights are NaN: the file keeps the last finite
    model written before, if any.
    """
    path = folder / "last.keras"
    if reason is not StopReason.DIVERGED:
        try:
            save_model(model, path, class_names)
        except ModelWriteError as exc:  # an earlier last.keras is not this one
            return None, str(exc)
    return (str(path) if path.exists() else None), ""


def _keep_a_model(
    callbacks: list[keras.callbacks.Callback],
    reason: StopReason,
    save_note: str,
    best_path: Path | None,
) -> tuple[StopReason, str]:
    """Delete the backup only once ``last.keras`` holds the finished run.

    A run that kept no model file at all did not complete: it failed, and
    says where its weights are (the backup, if any, is kept to resume from).
    """
    backup = _find(callbacks, RunBackup)
    if not save_note:
        if backup is not None and reason in _PHASE_DONE:
            backup.discard()
        return reason, save_note
    if best_path is not None and best_path.exists():
        return reason, save_note  # the best model is kept: the run has its model
    kept = (
        "its weights are kept in the run's backup: free some space, then resume "
        "it with more epochs"
        if backup is not None and backup.folder.is_dir()
        else "no model was kept"
    )
    return StopReason.FAILED, f"{save_note}; {kept}"


def _discard_backup(callbacks: list[keras.callbacks.Callback]) -> None:
    backup = _find(callbacks, RunBackup)
    if backup is not None:
        backup.discard()


def _best(
    checkpoint: BestCheckpoint | None,
    state: ResumeState,
    bridge: ListenerCallback,
    monitor: str,
) -> tuple[int, float] | None:
    """The run's best ``(epoch, value)``: the checkpoint's, which is on disk, else
    the better of the recorded best and this session's best epoch."""
    if checkpoint is not None and checkpoint.best_epoch is not None:
        return checkpoint.best_epoch, float(checkpoint.best)
    found = best_in_history(bridge.history, monitor, bridge.epochs_done)
    if state.best_epoch is None or state.best_value is None:
        return found
    recorded = (state.best_epoch, state.best_value)
    if found and is_better(found[1], recorded[1], monitor_mode(monitor)):
        return found
    return recorded


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
    averaged: AveragedWeights | None = None,
) -> tuple[StopReason, str]:
    """One ``fit`` with ``callbacks`` (``bridge`` among them); whatever ends it,
    the reason and the user's message. With ``averaged``, however it ends the
    model holds the averaged weights."""
    run_fit = model.fit if fit is None else functools.partial(fit, model)
    if fit is None:
        build_training_state(model, train_data)
    if averaged is not None:
        averaged.seed(model)
    try:
        with no_false_end_of_data_warning():
            run_fit(
                train_data,
                validation_data=validation_data,
                epochs=epochs,
                initial_epoch=initial_epoch,
                callbacks=callbacks,
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
    except ModelWriteError as exc:
        _close(callbacks)
        return StopReason.FAILED, (
            f"{exc} (epoch {bridge.epoch + 1}); the run stopped, and the models "
            "and backup written before are kept"
        )
    except WorkerLost as exc:  # the run stays resumable from its last backup
        _close(callbacks)
        return StopReason.FAILED, str(exc)
    except OSError as exc:  # the history log or the backup: the run folder's disk
        _close(callbacks)
        return StopReason.FAILED, (
            f"could not write to the run folder after epoch {bridge.epoch + 1}: "
            f"{exc.strerror or exc}"
        )
    except (tf.errors.ResourceExhaustedError, MemoryError):
        # Keep what ran: the history so far and the best checkpoint stay usable.
        _close(callbacks)
        return StopReason.FAILED, (
            f"out of memory at epoch {bridge.epoch + 1}: use a smaller batch size or "
            "image size, or switch off 'Cache images in memory' (training.cache_data "
            "in the project file)"
        )
    finally:
        if averaged is not None:
            averaged.settle(model)
    return StopReason.COMPLETED, ""


def _averaging(
    cfg: TrainingConfig, order: list[keras.callbacks.Callback]
) -> tuple[AveragedWeights | None, list[keras.callbacks.Callback]]:
    """With ``cfg.ema``, the averaged weights are what the checkpoint, early
    stopping and the listener's validation figures see
    (``core.recipe.weight_average``); ``order`` as it is without."""
    if not cfg.ema:
        return None, order
    averaged = AveragedWeights()
    return averaged, averaged.placed(order)


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
    """Keras's callbacks for ``cfg``, and where the best model goes (if kept)."""
    out: list[keras.callbacks.Callback] = []
    best_path = None
    if cfg.early_stopping:
        out.append(
            ResumableEarlyStopping(
                monitor=monitored(cfg.early_stopping_monitor, has_validation),
                mode=monitor_mode(cfg.early_stopping_monitor),
                patience=cfg.patience,
                restore_best_weights=cfg.restore_best_weights,
            )
        )
    if cfg.schedule == "plateau":
        out.append(
            ResumableReduceLROnPlateau(monitor=monitored("val_loss", has_validation))
        )
    if cfg.schedule == "one_cycle":
        out.append(OneCycleRate())
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
        if cfg.checkpoint:
            best_path = folder / "best.keras"
        if cfg.backup_and_restore:
            out.append(RunBackup(folder / "backup"))
        if cfg.csv_logger:
            out.append(
                keras.callbacks.CSVLogger(
                    str(folder / "history.csv"), append=initial_epoch > 0
                )
            )
        if cfg.tensorboard:
            out.append(keras.callbacks.TensorBoard(str(folder / "tensorboard")))
    return out, best_path


def _close(callbacks: list[keras.callbacks.Callback]) -> None:
    """Let file-writing callbacks close their files after an aborted ``fit``."""
    for cb in callbacks:
        if isinstance(cb, (keras.callbacks.CSVLogger, keras.callbacks.TensorBoard)):
            cb.on_train_end()
