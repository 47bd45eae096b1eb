"""Weight averaging (EMA): Keras's ``SwapEMAWeights``, made to hold however a run ends.

With the ``ema`` setting the optimizer keeps an exponential moving average
of the trainable weights (Keras's ``use_ema``, ``optimizers.make_optimizer``),
and the run validates, keeps (the best checkpoint, the final model) and tests
that average instead of the last step's weights. The app's runs and the
script Export as Python writes use this same class. Keras's
``SwapEMAWeights(swap_on_epoch=True)`` swaps the average into the model for
validation and for the callbacks after it at an epoch's end, but leaves three
traps, which ``AveragedWeights`` closes:

- an early stop: Keras's callback swaps the average in at an epoch's end and
  back only at the next epoch's begin, so when ``fit`` stops early the
  optimizer holds the *raw* weights where the average belongs, and ``fit``'s
  closing ``finalize_variable_values`` copies them into the model. Here
  ``back``, a second callback placed after those that judge and save the
  weights, swaps the raw weights back at every epoch's end, so
  ``finalize_variable_values`` always copies the average;
- a backup: BackupAndRestore, after the swap, saved the average as the
  model's weights and the raw weights as the optimizer's average, and a
  resume trained on with the two inverted. ``back`` comes before the backup;
- a Stop, a NaN loss or a failed write end ``fit`` by an exception, which
  skips ``finalize_variable_values`` (and may leave the average swapped in,
  mid-validation): ``settle`` does what it would have done.

BatchNormalization's moving mean and variance are not trainable: they are
never averaged, and every model file holds the running statistics of the last
steps, measured under the raw weights.

A fresh optimizer's average starts from the weights it first steps from
(Keras does that only at step 0); ``seed`` makes that hold for a run resumed
at a later step without a backup, whose optimizer state starts afresh.
Phase 2 of transfer learning compiles a new optimizer, so its average
restarts from phase 1's averaged weights.
"""

from __future__ import annotations

import keras


class AveragedWeights(keras.callbacks.SwapEMAWeights):
    """The average in the model for every callback after it at an epoch's end.

    Use ``placed`` to put it and its ``back`` in a callback order; call
    ``seed`` before each ``fit`` and ``settle`` after it.

    Example:
        >>> averaged = AveragedWeights()
        >>> callbacks = averaged.placed([checkpoint, early_stopping, backup])
        >>> averaged.seed(model); model.fit(..., callbacks=callbacks)
        >>> averaged.settle(model)  # the model holds the average, however fit ended
    """

    def __init__(self) -> None:
        super().__init__(swap_on_epoch=True)
        self.back = _RawWeightsBack(self)
        self._ended = True  # no fit to settle yet

    def placed(
        self, callbacks: list[keras.callbacks.Callback]
    ) -> list[keras.callbacks.Callback]:
        """``callbacks`` with this first and ``back`` just before the backup
        (at the end without one)."""
        at = next(
            (
                i
                for i, cb in enumerate(callbacks)
                if isinstance(cb, keras.callbacks.BackupAndRestore)
            ),
            len(callbacks),
        )
        return [self, *callbacks[:at], self.back, *callbacks[at:]]

    def seed(self, model: keras.Model) -> None:
        """Start the optimizer's average at the model's weights.

        Keras starts it there only at step 0; a resume without a backup
        continues the step count with a new optimizer, whose zero average
        would drag the weights towards 0. A backup, restored after this,
        brings back its own average.
        """
        optimizer = model.optimizer
        if not optimizer.built:
            optimizer.build(model.trainable_variables)
        self.set_model(model)
        self._finalize_ema_values()  # Keras's copy of the weights into the average

    def on_train_begin(self, logs: dict | None = None) -> None:
        self._ended = False
        self._ema_weights_in_model = False

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        # Keras's own also copies the raw weights over the average at the last
        # epoch; ``back`` swaps instead, which keeps the raw weights for the backup.
        self.swap_in()

    def on_train_end(self, logs: dict | None = None) -> None:
        self._ended = True  # fit's finalize_variable_values ran

    def swap_in(self) -> None:
        if not self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = True

    def swap_out(self) -> None:
        if self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = False

    def settle(self, model: keras.Model) -> None:
        """After a ``fit`` an exception ended: the average into the model, as
        the end of a completed ``fit`` puts it (nothing to do after one)."""
        if self._ended:
            return
        self._ended = True
        self.swap_out()
        model.optimizer.finalize_variable_values(model.trainable_weights)


class _RawWeightsBack(keras.callbacks.Callback):
    """The raw weights back in the model at an epoch's end (see the module)."""

    def __init__(self, averaged: AveragedWeights) -> None:
        super().__init__()
        self.averaged = averaged

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.averaged.swap_out()
