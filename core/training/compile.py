"""The app's one compile path: a ``TrainingConfig`` and a phase, compiled.

Every model the app trains is compiled here: a session's model before phase
1, ``engine.train``'s model when a script hands it uncompiled, and phase 2's
recompile after unfreezing. This wrapper only turns the config into the
plain values ``core.recipe.optimizers.compile_phase`` takes (the settings as
a dict, the head's loss), so the exported script, which calls that function
on its settings, compiles what the app compiles.

Example:
    compile_for(model, TrainingConfig(optimizer="sgd"), steps_per_epoch=100)
"""

from __future__ import annotations

import keras
import tensorflow as tf

from core.recipe.optimizers import compile_phase
from core.training.config import TrainingConfig
from core.training.loss import loss_for


def compile_for(
    model: keras.Model,
    cfg: TrainingConfig,
    steps_per_epoch: int,
    one_hot: bool = False,
    phase: int = 1,
) -> None:
    """Compile ``model`` to train ``phase`` (1, or 2: fine-tuning) of ``cfg``.

    The loss follows from the head's size, the labels' form (``one_hot``, see
    ``core.training.loss.one_hot_labels``) and the config's label smoothing;
    ``steps_per_epoch`` spreads a schedule (cosine, linear, one-cycle) over the
    phase.
    """
    units = int(model.outputs[0].shape[-1])
    loss = loss_for(units, one_hot, cfg.label_smoothing)
    compile_phase(model, cfg.to_dict(), steps_per_epoch, loss, phase)


def labels_one_hot(data: tf.data.Dataset) -> bool:
    """Whether ``(images, labels)`` batches carry one-hot labels, by their shape
    (a sigmoid head's single column of class 1 is not one-hot)."""
    labels = data.element_spec[1].shape
    return labels.rank is not None and labels.rank > 1 and labels[-1] != 1


def build_training_state(model: keras.Model, data: tf.data.Dataset) -> None:
    """Create the optimizer's and the compiled metrics' variables before training.

    Keras (TensorFlow, no distribution strategy) leaves them to the first trace
    of the train step, and a ``tf.function`` that creates variables is traced
    again, so every ``fit`` of a freshly compiled model (each run, each phase,
    the epoch estimate's copy, the range test) traced the whole step and its
    gradients twice: MobileNetV2's first two epochs took 4.3 CPU-s, 3.2 with
    this, the same losses to the last bit (Keras 3.15.1, TensorFlow 2.21).
    ``_symbolic_build`` is Keras's private builder: a Keras without it builds
    them in the trace, as before. ``data`` gives the batches' shapes and types.
    """
    build = getattr(model, "_symbolic_build", None)
    if build is None:
        return
    with model.distribute_strategy.scope():
        build(data_batch=data.element_spec)
