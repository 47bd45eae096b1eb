"""A training phase's optimizer, learning-rate schedule, loss and metrics.

One rule for the app and for the script "Export as Python" writes: the app
compiles every model it trains through ``compile_phase`` (its wrapper,
``core.training.compile``, turns a ``TrainingConfig`` into these plain
values), and the exported script calls the same function on its settings as
data, so the two cannot drift. Plain values in, Keras objects out: this
module imports only Keras, so the script can ship it beside itself.

Call ``compile_phase(model, settings, steps_per_epoch, loss, phase=1)``.
``settings`` is a mapping with the training settings' names
(``TrainingConfig.to_dict()`` gives one; keys it does not use are ignored):

- ``optimizer``: ``adam``, ``sgd`` (with ``momentum`` and ``nesterov``),
  ``rmsprop`` (as the tutorials use it: no momentum) or ``adamw`` (with
  ``weight_decay``);
- ``learning_rate``, and ``schedule``: ``cosine`` decays it over the phase's
  ``epochs`` (after a ``warmup`` share of the steps climbing from 0); any
  other schedule keeps it constant (``plateau`` is a callback, not a
  schedule);
- ``epochs``; for phase 2, ``fine_tune_epochs`` and ``fine_tune_lr_factor``
  (the phase trains that many epochs at the rate times the factor);
- ``jit_compile``: true compiles each step with XLA; false or missing
  leaves it to Keras (``"auto"``: XLA on a single GPU only), as before the
  setting existed.

``loss`` is a loss as ``model.compile`` takes it, or Keras's serialized form
of a built-in loss (``{"class_name": "CategoricalCrossentropy", "config":
{"label_smoothing": 0.1}}``), which a script can hold as data.

Example:
    settings = {"optimizer": "sgd", "learning_rate": 0.01, "momentum": 0.9,
                "nesterov": True, "schedule": "cosine", "warmup": 0.05,
                "epochs": 10}
    compile_phase(model, settings, steps_per_epoch=100,
                  loss="sparse_categorical_crossentropy")
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import keras

OPTIMIZERS = ("adam", "sgd", "rmsprop", "adamw")
METRICS = ("accuracy",)


def compile_phase(
    model: keras.Model,
    settings: Mapping[str, Any],
    steps_per_epoch: int,
    loss: Any,
    phase: int = 1,
) -> None:
    """Compile ``model`` for training ``phase`` (1, or 2: fine-tuning).

    ``steps_per_epoch`` is the batches of an epoch, over which a cosine
    schedule spreads the phase's decay (at least 1).
    """
    model.compile(
        optimizer=make_optimizer(settings, steps_per_epoch, phase),
        loss=make_loss(loss),
        metrics=list(METRICS),
        jit_compile=True if settings.get("jit_compile") else "auto",
    )


def phase_settings(settings: Mapping[str, Any], phase: int = 1) -> dict[str, Any]:
    """``settings`` as ``phase`` trains with them: phase 2 runs its own epochs
    at the learning rate times ``fine_tune_lr_factor``."""
    if phase not in (1, 2):
        raise ValueError(f"phase must be 1 or 2, not {phase!r}")
    out = dict(settings)
    if phase == 2:
        out["learning_rate"] = settings["learning_rate"] * settings.get(
            "fine_tune_lr_factor", 1.0
        )
        out["epochs"] = settings["fine_tune_epochs"]
    return out


def make_optimizer(
    settings: Mapping[str, Any], steps_per_epoch: int, phase: int = 1
) -> keras.optimizers.Optimizer:
    """The optimizer ``settings`` name, with the phase's rate or schedule.

    Raises:
        ValueError: an optimizer not in ``OPTIMIZERS``.
    """
    values = phase_settings(settings, phase)
    rate = learning_rate(values, steps_per_epoch)
    name = values.get("optimizer", "adam")
    if name == "sgd":
        return keras.optimizers.SGD(
            rate,
            momentum=values.get("momentum", 0.0),
            nesterov=bool(values.get("nesterov", False)),
        )
    if name == "rmsprop":  # as the tutorials use it: no momentum
        return keras.optimizers.RMSprop(rate)
    if name == "adamw":
        return keras.optimizers.AdamW(rate, weight_decay=values["weight_decay"])
    if name == "adam":
        return keras.optimizers.Adam(rate)
    raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, not {name!r}")


def learning_rate(
    settings: Mapping[str, Any], steps_per_epoch: int
) -> float | keras.optimizers.schedules.LearningRateSchedule:
    """The rate a phase's ``settings`` start the optimizer with: constant, or
    a cosine schedule over the phase's ``epochs * steps_per_epoch`` steps."""
    rate = settings["learning_rate"]
    if settings.get("schedule") != "cosine":
        return rate
    total = settings["epochs"] * max(steps_per_epoch, 1)
    return cosine_schedule(rate, total, settings.get("warmup", 0.0))


def cosine_schedule(
    learning_rate: float, total_steps: int, warmup: float
) -> keras.optimizers.schedules.CosineDecay:
    """Cosine decay to 0 over a phase's ``total_steps``, the first ``warmup``
    share of them climbing linearly from 0 to ``learning_rate``.

    Keras counts ``decay_steps`` after the warm-up, so the decay gets the steps
    left over and the rate still reaches 0 at the phase's last step. At least
    one step decays, so a warm-up share never swallows a short phase (a
    one-epoch quick check of a preset that warms up).
    """
    total = max(1, total_steps)
    warmup_steps = min(round(warmup * total), total - 1)
    if not warmup_steps:
        return keras.optimizers.schedules.CosineDecay(learning_rate, total)
    return keras.optimizers.schedules.CosineDecay(
        0.0,
        total - warmup_steps,
        warmup_target=learning_rate,
        warmup_steps=warmup_steps,
    )


def make_loss(loss: Any) -> Any:
    """What ``model.compile(loss=...)`` takes for ``loss``: a name or a loss
    object as it is; Keras's serialized loss as the loss object (``compile``
    would read a dict as one loss per output)."""
    if isinstance(loss, Mapping):
        return keras.losses.deserialize(dict(loss))
    return loss
