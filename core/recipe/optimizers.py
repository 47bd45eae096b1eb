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

- ``optimizer``: ``adam``, ``sgd`` (with ``momentum``, ``nesterov`` and
  ``sgd_weight_decay``, decoupled as AdamW's; 0 or missing: none),
  ``rmsprop`` (as the tutorials use it: no momentum), ``adamw`` (with
  ``weight_decay``) or ``muon`` (Keras's Muon with ``weight_decay``; the
  classifier's output layer takes its AdamW step, as Keras advises);
- ``learning_rate``, and ``schedule``: ``cosine`` decays it over the phase's
  ``epochs`` (after a ``warmup`` share of the steps climbing from 0),
  ``linear`` in a straight line to 0, ``one_cycle`` climbs from 0 over the
  ``warmup`` share and then falls in a straight line to 0 (pass
  ``OneCycleRate()`` to ``fit``: see below); any other schedule keeps it
  constant (``plateau`` is a callback, not a schedule);
- ``norm_lr_factor`` (default 1): other than 1, the scales and offsets of the
  normalization layers (``NORM_LAYERS``) train in an optimizer of their own
  at the rate (and schedule) times the factor, without weight decay;
- ``ema`` (default false): true keeps an exponential moving average of the
  weights at ``ema_momentum`` (Keras's ``use_ema``; pair it with
  ``keras.callbacks.SwapEMAWeights`` before the checkpoint);
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

Every schedule here is a Keras built-in but one: Keras has no warm-up before a
linear decay. A schedule of our own would be saved inside the optimizer of
every ``.keras`` file trained with it, and such a file would open with plain
``keras.models.load_model`` only where this module is imported (elsewhere,
only with ``compile=False``). Built from built-ins alone the triangle is not
exact (CosineDecay's warm-up is linear but its decay is not) or not small
(PiecewiseConstantDecay with one rate per step adds an op per step to every
step's graph). So one-cycle keeps the optimizer's rate a plain variable, as a
constant rate does, and the callback ``OneCycleRate`` sets it before each
batch to the triangle at the optimizer's own step count (``OneCycle``, kept on
the optimizer but never saved): the same float32 ops the schedule ran, so the
same rate at every step; a resume goes on at the restored step, each part of
a MultiOptimizer at its own peak, and the saved file holds a float rate.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import keras

OPTIMIZERS = ("adam", "sgd", "rmsprop", "adamw", "muon")
METRICS = ("accuracy",)
# The layers whose scale and offset ``norm_lr_factor`` trains apart.
NORM_LAYERS = (
    keras.layers.BatchNormalization,
    keras.layers.LayerNormalization,
    keras.layers.GroupNormalization,
)
# The names of a MultiOptimizer's parts: the one that trains them, and the
# one that trains every other weight (the rates ReduceLROnPlateau logs).
NORM_OPTIMIZER = "norm_layers"
MAIN_OPTIMIZER = "other_weights"


def compile_phase(
    model: keras.Model,
    settings: Mapping[str, Any],
    steps_per_epoch: int,
    loss: Any,
    phase: int = 1,
) -> None:
    """Compile ``model`` for training ``phase`` (1, or 2: fine-tuning).

    ``steps_per_epoch`` is the batches of an epoch, over which a schedule
    spreads the phase's decay (at least 1).
    """
    model.compile(
        optimizer=make_optimizer(settings, steps_per_epoch, phase, model),
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
    settings: Mapping[str, Any],
    steps_per_epoch: int,
    phase: int = 1,
    model: keras.Model | None = None,
) -> keras.optimizers.Optimizer:
    """The optimizer ``settings`` name, with the phase's rate or schedule.

    With a ``norm_lr_factor`` other than 1, a ``MultiOptimizer``: ``model``'s
    normalization scales and offsets (``norm_variables``) go to a second
    optimizer of the same kind (named ``NORM_OPTIMIZER``) at the rate and
    schedule times the factor, without weight decay; every other weight to
    the first (``MAIN_OPTIMIZER``). At 1 (the default) it is the single
    optimizer, as before the setting existed. ``model`` also names Muon's
    output layer.

    Raises:
        ValueError: an optimizer not in ``OPTIMIZERS``; a ``norm_lr_factor``
            other than 1 without ``model``.
    """
    values = phase_settings(settings, phase)
    shared: dict[str, Any] = {}  # what every optimizer made here takes alike
    if values.get("ema"):
        shared.update(use_ema=True, ema_momentum=values["ema_momentum"])
    factor = values.get("norm_lr_factor", 1.0)
    if factor != 1.0 and model is None:
        raise ValueError("norm_lr_factor needs the model, to find its norm layers")
    norms = norm_variables(model) if factor != 1.0 else []
    main_name = MAIN_OPTIMIZER if norms else None
    main = _optimizer(values, steps_per_epoch, model, shared, main_name)
    if not norms:
        return main
    faster = {
        **values,
        "learning_rate": values["learning_rate"] * factor,
        "weight_decay": 0.0,
        "sgd_weight_decay": 0.0,
    }
    apart = _optimizer(faster, steps_per_epoch, model, shared, NORM_OPTIMIZER)
    paths = "|".join(re.escape(v.path) for v in norms)
    return keras.optimizers.MultiOptimizer(
        keras.optimizers.OptimizerMap(main, {paths: apart})
    )


def _optimizer(
    values: Mapping[str, Any],
    steps_per_epoch: int,
    model: keras.Model | None,
    shared: Mapping[str, Any],
    name: str | None = None,
) -> keras.optimizers.Optimizer:
    """One optimizer of a phase's ``values``, with ``shared``'s keywords; a
    one-cycle one holds its ``OneCycle`` as ``one_cycle``."""
    rate = learning_rate(values, steps_per_epoch)
    if not isinstance(rate, OneCycle):
        return _optimizer_at(values, rate, model, shared, name)
    made = _optimizer_at(values, 0.0, model, shared, name)  # the cycle's start
    made.one_cycle = rate  # not in get_config(): the saved file holds a float
    return made


def _optimizer_at(
    values: Mapping[str, Any],
    rate: float | keras.optimizers.schedules.LearningRateSchedule,
    model: keras.Model | None,
    shared: Mapping[str, Any],
    name: str | None,
) -> keras.optimizers.Optimizer:
    """The optimizer ``values`` name, at ``rate``."""
    kind = values.get("optimizer", "adam")
    kwargs = {**shared, **({"name": name} if name else {})}
    if kind == "sgd":
        return keras.optimizers.SGD(
            rate,
            momentum=values.get("momentum", 0.0),
            nesterov=bool(values.get("nesterov", False)),
            weight_decay=values.get("sgd_weight_decay") or None,
            **kwargs,
        )
    if kind == "rmsprop":  # as the tutorials use it: no momentum
        return keras.optimizers.RMSprop(rate, **kwargs)
    if kind == "adamw":
        return keras.optimizers.AdamW(
            rate, weight_decay=values["weight_decay"], **kwargs
        )
    if kind == "muon":
        decay = values.get("weight_decay", 0.004)
        return keras.optimizers.Muon(
            rate,
            weight_decay=decay,
            adam_weight_decay=decay,
            exclude_layers=output_layer_patterns(model),
            **kwargs,
        )
    if kind == "adam":
        return keras.optimizers.Adam(rate, **kwargs)
    raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, not {kind!r}")


def norm_variables(model: keras.Model) -> list[keras.Variable]:
    """The trainable scales and offsets of ``model``'s ``NORM_LAYERS``, nested
    models' included (the moving statistics are not trained)."""
    return [
        variable
        for layer in _layers(model)
        if isinstance(layer, NORM_LAYERS)
        for variable in layer.trainable_variables
    ]


def _layers(model: keras.Model) -> list[keras.layers.Layer]:
    """``model``'s layers and, depth first, those of the models inside it."""
    found = []
    for layer in model.layers:
        found.append(layer)
        if isinstance(layer, keras.Model):
            found += _layers(layer)
    return found


def output_layer_patterns(model: keras.Model | None) -> list[str]:
    """Muon's ``exclude_layers`` for ``model``: the weights of its last layer
    that has any (the classifier's output layer), which Keras advises to leave
    to Muon's AdamW step (none without a model)."""
    weighted = [layer for layer in model.layers if layer.weights] if model else []
    return [f"^{re.escape(weighted[-1].path)}/"] if weighted else []


def optimizer_parts(
    optimizer: keras.optimizers.Optimizer,
) -> list[keras.optimizers.Optimizer]:
    """The optimizers that hold rates and step counts: a MultiOptimizer's
    parts (inside the LossScaleOptimizer mixed_float16 wraps it in, too), or
    ``optimizer`` itself."""
    inner = getattr(optimizer, "inner_optimizer", optimizer)
    if isinstance(inner, keras.optimizers.MultiOptimizer):
        return list(inner.optimizers)
    return [optimizer]


def set_learning_rate(
    optimizer: keras.optimizers.Optimizer, rate: float, norm_lr_factor: float
) -> None:
    """Set ``optimizer``'s constant rate to ``rate``, its norm layers' part's
    (``NORM_OPTIMIZER``) to ``rate * norm_lr_factor``. A part whose rate a
    schedule or its one cycle computes keeps that: the cycle rebuilt from the
    settings already peaks at a resume's new rate."""
    for part in optimizer_parts(optimizer):
        inner = getattr(part, "inner_optimizer", part)
        if isinstance(part.learning_rate, keras.Variable) and not hasattr(
            inner, "one_cycle"
        ):
            factor = norm_lr_factor if part.name == NORM_OPTIMIZER else 1.0
            part.learning_rate.assign(rate * factor)


class OneCycleRate(keras.callbacks.Callback):
    """Before each batch, sets each optimizer part that has a ``one_cycle`` to
    its rate at the part's step count (pass it to ``fit`` with ``one_cycle``).

    The rate is computed from the optimizer's own step count, on the device,
    so a resumed or restored run goes on at its step and a recompiled phase 2
    follows its own cycle; parts without one are left alone.
    """

    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        for part in optimizer_parts(self.model.optimizer):
            cycle = getattr(getattr(part, "inner_optimizer", part), "one_cycle", None)
            if cycle is not None:
                part.learning_rate.assign(cycle(part.iterations))


def set_step(optimizer: keras.optimizers.Optimizer, step: int) -> None:
    """Set ``optimizer``'s step count, and its parts' that their schedules
    read, so a resumed schedule goes on at ``step``."""
    optimizer.iterations.assign(step)
    for part in optimizer_parts(optimizer):
        part.iterations.assign(step)


def learning_rate(
    settings: Mapping[str, Any], steps_per_epoch: int
) -> float | keras.optimizers.schedules.LearningRateSchedule | OneCycle:
    """The rate a phase's ``settings`` give the optimizer: constant, a Keras
    schedule over the phase's ``epochs * steps_per_epoch`` steps, or the
    ``OneCycle`` that ``OneCycleRate`` drives a constant rate along."""
    rate = settings["learning_rate"]
    schedule = settings.get("schedule")
    total = settings.get("epochs", 1) * max(steps_per_epoch, 1)
    warmup = settings.get("warmup", 0.0)
    if schedule == "cosine":
        return cosine_schedule(rate, total, warmup)
    if schedule == "linear":
        return linear_schedule(rate, total)
    if schedule == "one_cycle":
        return one_cycle_schedule(rate, total, warmup)
    return rate


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


def linear_schedule(
    learning_rate: float, total_steps: int
) -> keras.optimizers.schedules.PolynomialDecay:
    """A straight line from ``learning_rate`` down to 0 at ``total_steps``
    (Keras's PolynomialDecay of power 1)."""
    return keras.optimizers.schedules.PolynomialDecay(
        learning_rate, max(1, total_steps), end_learning_rate=0.0, power=1.0
    )


def one_cycle_schedule(
    learning_rate: float, total_steps: int, warmup: float
) -> keras.optimizers.schedules.PolynomialDecay | OneCycle:
    """Up in a straight line from 0 to ``learning_rate`` over the first
    ``warmup`` share of ``total_steps``, then down in a straight line to 0 at
    the last (airbench's and "How to train your ResNet"'s one cycle).

    Without warm-up steps it is ``linear_schedule``, a Keras built-in; at
    least one step decays, as in ``cosine_schedule``.
    """
    total = max(1, total_steps)
    warmup_steps = min(round(warmup * total), total - 1)
    if not warmup_steps:
        return linear_schedule(learning_rate, total)
    return OneCycle(learning_rate, warmup_steps, total)


@dataclass(frozen=True)
class OneCycle:
    """A triangle: 0 at step 0, ``peak`` at ``warmup_steps``, 0 at
    ``total_steps`` and after. Not a Keras schedule, so never saved with the
    optimizer: ``OneCycleRate`` sets the rate it gives (module docstring)."""

    peak: float
    warmup_steps: int
    total_steps: int

    def __call__(self, step: Any) -> Any:
        """The rate at ``step`` (a float32 tensor)."""
        step = keras.ops.cast(step, "float32")
        up = step / self.warmup_steps
        down = (self.total_steps - step) / (self.total_steps - self.warmup_steps)
        share = keras.ops.clip(keras.ops.minimum(up, down), 0.0, 1.0)
        return self.peak * share


def make_loss(loss: Any) -> Any:
    """What ``model.compile(loss=...)`` takes for ``loss``: a name or a loss
    object as it is; Keras's serialized loss as the loss object (``compile``
    would read a dict as one loss per output)."""
    if isinstance(loss, Mapping):
        return keras.losses.deserialize(dict(loss))
    return loss
