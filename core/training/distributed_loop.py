"""Multi-worker training: a custom distributed step in place of ``model.fit``.

Keras 3's ``fit`` fails under ``MultiWorkerMirroredStrategy`` ("Attempt to
convert a value (PerReplica...)", keras-team/keras#20585), so ``MultiWorkerFit``
stands in for it: ``strategy.run`` of a ``GradientTape`` step with
``tf.nn.compute_average_loss``, inside a ``tf.function``, over each worker's
own data (``core.training.sharding``). It takes ``fit``'s arguments and drives
the callbacks ``core.training.engine.train`` made (checkpoint,
BackupAndRestore, CSV log, early stopping, the listener) through a
``keras.callbacks.CallbackList``, so the engine and its callbacks are the
single-machine ones. When Keras fixes ``fit``, this module can go.

Workers must take every collective step together, or the all-reduce waits
forever. So:

- every step all-reduces a stop flag along with the gradients: a Stop or a
  signal on one worker stops all of them after the same batch (the callbacks
  see only the agreed stop, ``agreed``); the loss logged is the all-reduced
  one, so a NaN stops every worker at the same batch too;
- early stopping is agreed the same way after each epoch;
- each worker's stream repeats and each epoch takes exactly ``steps``
  batches: a file that fails to decode on one worker is replaced by the next;
- after the callbacks' ``on_train_begin`` (where BackupAndRestore restores a
  backup, which only the chief has), the chief's weights, optimizer state,
  epoch and number of epochs are broadcast to every worker.

Validation runs on every worker over the whole validation split, without
collectives, so every worker logs the same figures and the checkpoint and
early-stopping callbacks decide alike. Only the chief writes the run folder;
the others give the callbacks a temporary folder, deleted at the end
(``worker_plan``). A worker that dies or stops answering ends the others'
step with an error from TensorFlow, raised here as ``WorkerLost``.
"""

from __future__ import annotations

import contextlib
import shutil
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from core.errors import WorkbenchError
from core.training.device import Device

# What TensorFlow raises in a collective when a peer is gone or silent.
LOST_WORKER_ERRORS = (
    tf.errors.UnavailableError,
    tf.errors.DeadlineExceededError,
    tf.errors.AbortedError,
    tf.errors.CancelledError,
)

SUM = tf.distribute.ReduceOp.SUM


class WorkerLost(Exception):
    """Another worker died or stopped answering during a collective step."""

    def __init__(self, epoch: int, batch: int, error: Exception) -> None:
        reason = str(getattr(error, "message", error)).strip().splitlines()
        super().__init__(
            f"lost contact with another worker at epoch {epoch + 1}, batch "
            f"{batch + 1} ({reason[0][:200] if reason else type(error).__name__}): "
            "restart every worker to continue"
        )


@dataclass
class Plan:
    """How ``engine.train`` runs on this machine: its fit, cancel and folder."""

    fit: Callable[..., Any] | None
    cancel: threading.Event
    run_dir: Path | None


@contextlib.contextmanager
def worker_plan(
    device: Device,
    cancel: threading.Event | None,
    run_dir: Path | None,
    steps: int,
    batch_size: int,
) -> Iterator[Plan]:
    """``fit`` and the folder for ``engine.train`` on this worker.

    On one machine: Keras's own ``fit``, ``cancel`` and ``run_dir`` unchanged.
    Under multi-worker: ``MultiWorkerFit`` (``steps`` per epoch of the global
    ``batch_size``), its agreed cancel, and for a worker other than the chief a
    temporary folder, deleted afterwards.
    """
    cancel = cancel or threading.Event()
    if device.workers == 1:
        yield Plan(None, cancel, run_dir)
        return
    loop = MultiWorkerFit(device, cancel, steps, batch_size)
    if device.chief:
        yield Plan(loop, loop.agreed, run_dir)
        return
    scratch = Path(tempfile.mkdtemp(prefix=f"cnnwb-worker{device.worker}-"))
    try:
        yield Plan(loop, loop.agreed, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def local_copy(model: keras.Model) -> keras.Model:
    """``model`` outside the strategy: Keras's evaluate fails under it too."""
    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    return copy


class MultiWorkerFit:
    """``model.fit`` for ``engine.train``, as a distributed custom loop.

    Called as ``fit(model, data, validation_data=..., epochs=...,
    initial_epoch=..., callbacks=[...], class_weight=...)``; ``data`` is this
    worker's batches (its share of the global batch), ``steps`` per epoch,
    equal on every worker.
    """

    def __init__(
        self,
        device: Device,
        cancel: threading.Event,
        steps: int,
        batch_size: int,
    ) -> None:
        self.strategy = strategy = device.strategy
        self.replica_batch = batch_size // device.replicas
        self.cancel = cancel  # this worker's own Stop / signal
        self.agreed = threading.Event()  # all workers stop: what callbacks see
        self.steps = steps
        self._at = (0, 0)  # epoch, batch: where a lost worker was noticed
        self._any = tf.function(
            lambda flag: strategy.reduce(
                SUM, strategy.run(tf.identity, args=(flag,)), axis=None
            )
        )

    def __call__(
        self,
        model: keras.Model,
        data: tf.data.Dataset,
        validation_data: tf.data.Dataset | None = None,
        epochs: int = 1,
        initial_epoch: int = 0,
        callbacks: list[keras.callbacks.Callback] | None = None,
        class_weight: dict[int, float] | None = None,
        **_fit_only: Any,  # shuffle, verbose: the pipeline shuffles, nothing prints
    ) -> None:
        try:
            self._fit(
                model,
                data,
                validation_data,
                epochs,
                initial_epoch,
                callbacks or [],
                class_weight,
            )
        except LOST_WORKER_ERRORS as exc:
            raise WorkerLost(*self._at, exc) from exc

    def _fit(
        self,
        model: keras.Model,
        data: tf.data.Dataset,
        validation_data: tf.data.Dataset | None,
        epochs: int,
        initial_epoch: int,
        callbacks: list[keras.callbacks.Callback],
        class_weight: dict[int, float] | None,
    ) -> None:
        strategy = self.strategy
        optimizer = model.optimizer
        with strategy.scope():  # its slots are mirrored variables too
            if not strategy.extended.variable_created_in_scope(
                optimizer.iterations.value
            ):  # made outside it (engine's phase 2 recompiles): make it again inside
                optimizer = type(optimizer).from_config(optimizer.get_config())
                model.optimizer = optimizer
            if not optimizer.built:
                optimizer.build(model.trainable_variables)
        if len(strategy.extended.worker_devices) > 1:  # one batch per local replica
            data = data.rebatch(self.replica_batch)
        stream = iter(
            strategy.distribute_datasets_from_function(lambda _: data.repeat())
        )
        losses = _Losses(model, class_weight)
        step = self._train_step(model, losses)
        validate = _validation(model, losses)
        cbs = keras.callbacks.CallbackList(
            callbacks, model=model, epochs=epochs, steps=self.steps, verbose=0
        )
        model.stop_training = False
        cbs.on_train_begin()
        start, epochs = self._from_chief(
            model, model._initial_epoch or initial_epoch, epochs
        )
        logs: dict[str, float] = {}
        for epoch in range(start, epochs):
            cbs.on_epoch_begin(epoch)
            totals = np.zeros(3)  # loss, correct, images
            for batch in range(self.steps):
                self._at = (epoch, batch)
                cbs.on_train_batch_begin(batch)
                stop = tf.constant(float(self.cancel.is_set()))
                *figures, stopping = (float(v) for v in step(stream, stop))
                totals += figures
                logs = {
                    "loss": totals[0] / (batch + 1),
                    "accuracy": totals[1] / max(totals[2], 1.0),
                }
                if stopping:
                    self.agreed.set()  # the listener's callback stops the run now
                    print(
                        f"all workers stop after epoch {epoch + 1}, batch {batch + 1}",
                        file=sys.stderr,
                        flush=True,
                    )
                cbs.on_train_batch_end(batch, logs)
            if validation_data is not None:
                logs.update(validate(validation_data))
            cbs.on_epoch_end(epoch, logs)
            if self._agree(model.stop_training):  # early stopping on any worker
                model.stop_training = True
                break
        model.optimizer.finalize_variable_values(model.trainable_weights)
        cbs.on_train_end(logs)

    def _train_step(self, model: keras.Model, losses: _Losses) -> Callable:
        strategy, optimizer = self.strategy, model.optimizer

        def replica_step(x, y, stop):
            with tf.GradientTape() as tape:
                predicted = model(x, training=True)
                per_image, weights = losses.per_image(y, predicted)
                loss = tf.nn.compute_average_loss(per_image, sample_weight=weights)
                if model.losses:
                    loss += tf.nn.scale_regularization_loss(tf.add_n(model.losses))
                scaled = optimizer.scale_loss(loss)
            variables = model.trainable_variables
            optimizer.apply(tape.gradient(scaled, variables), variables)
            images = tf.cast(tf.shape(per_image)[0], tf.float32)
            return loss, losses.correct(y, predicted), images, stop

        @tf.function
        def step(stream, stop):
            x, y = next(stream)
            out = strategy.run(replica_step, args=(x, y, stop))
            return [strategy.reduce(SUM, v, axis=None) for v in out]

        return step

    def _agree(self, stop: bool) -> bool:
        """Whether any worker wants to stop (an all-reduced flag)."""
        return float(self._any(tf.constant(float(bool(stop))))) > 0

    def _from_chief(
        self, model: keras.Model, epoch: int, epochs: int
    ) -> tuple[int, int]:
        """Give every worker the chief's weights, optimizer state and epochs.

        Returns the chief's first and last epoch: only the chief read the
        run's backup, and a worker started without ``--resume`` (no copy of
        the run folder) or with other ``--epochs`` follows the chief.

        Raises:
            WorkbenchError: the workers' steps per epoch differ (uneven shards),
                which would deadlock the first uneven step.
        """
        variables = [*model.variables, *model.optimizer.variables]

        def replica():
            # Replica 0 is the chief's first device: only it contributes.
            ctx = tf.distribute.get_replica_context()
            source = tf.cast(tf.equal(ctx.replica_id_in_sync_group, 0), tf.int64)
            counters = tf.stack(
                [epoch * source, epochs * source, tf.constant(self.steps, tf.int64)]
            )
            mine = [v.value * tf.cast(source, v.dtype) for v in variables]
            # One by one: a batched all-reduce packs them into one dtype.
            return [ctx.all_reduce(SUM, t) for t in (counters, *mine)]

        reduced = tf.function(lambda: self.strategy.run(replica))()
        local = [self.strategy.experimental_local_results(v)[0] for v in reduced]
        for variable, value in zip(variables, local[1:], strict=True):
            variable.assign(value)
        chief_epoch, chief_epochs, all_steps = (int(v) for v in local[0].numpy())
        if all_steps != self.steps * self.strategy.num_replicas_in_sync:
            raise WorkbenchError(
                f"workers disagree on the steps per epoch ({self.steps} here): "
                "their shards are uneven"
            )
        return chief_epoch, chief_epochs


class _Losses:
    """The compiled loss per image and the matching accuracy, for the custom step.

    The loss is per image (not reduced), so ``compute_average_loss`` divides by
    the global batch; class weights become per-image weights, as in ``fit``.
    """

    def __init__(self, model: keras.Model, class_weight: dict[int, float] | None):
        loss = model.loss
        if isinstance(loss, keras.losses.Loss):
            self.loss_fn = loss.call
            name = loss.name
        else:
            self.loss_fn = keras.losses.get(loss)
            name = loss if isinstance(loss, str) else loss.__name__
        self.sparse = "sparse" in name
        self.binary = "binary" in name
        if self.sparse:
            self.accuracy = keras.metrics.sparse_categorical_accuracy
        elif self.binary:
            self.accuracy = keras.metrics.binary_accuracy
        else:
            self.accuracy = keras.metrics.categorical_accuracy
        self.weights = None
        if class_weight:
            table = [class_weight.get(i, 1.0) for i in range(max(class_weight) + 1)]
            self.weights = tf.constant(table, tf.float32)

    def labels(self, y: tf.Tensor, predicted: tf.Tensor) -> tf.Tensor:
        if self.binary and y.shape.rank < predicted.shape.rank:
            return tf.cast(tf.expand_dims(y, -1), predicted.dtype)
        return y

    def per_image(
        self, y: tf.Tensor, predicted: tf.Tensor
    ) -> tuple[tf.Tensor, tf.Tensor | None]:
        per_image = self.loss_fn(self.labels(y, predicted), predicted)
        if self.weights is None:
            return per_image, None
        if self.sparse or self.binary:
            index = tf.cast(tf.reshape(y, [-1]), tf.int32)
        else:
            index = tf.argmax(y, axis=-1, output_type=tf.int32)
        return per_image, tf.gather(self.weights, index)

    def correct(self, y: tf.Tensor, predicted: tf.Tensor) -> tf.Tensor:
        hits = self.accuracy(self.labels(y, predicted), predicted)
        return tf.reduce_sum(tf.cast(hits, tf.float32))


def _validation(
    model: keras.Model, losses: _Losses
) -> Callable[[tf.data.Dataset], dict[str, float]]:
    """``val_loss`` and ``val_accuracy`` over a whole split, on this worker.

    The step is traced once per ``fit``, not once per epoch.
    """

    @tf.function(reduce_retracing=True)
    def figures(x, y):
        predicted = model(x, training=False)
        per_image = losses.loss_fn(losses.labels(y, predicted), predicted)
        images = tf.cast(tf.shape(per_image)[0], tf.float32)
        return tf.reduce_sum(per_image), losses.correct(y, predicted), images

    def validate(data: tf.data.Dataset) -> dict[str, float]:
        totals = np.zeros(3)
        for x, y in data:
            totals += [float(v) for v in figures(x, y)]
        images = max(totals[2], 1.0)
        return {"val_loss": totals[0] / images, "val_accuracy": totals[1] / images}

    return validate
