"""Where training runs: GPU(s) when TensorFlow sees them, the CPU otherwise.

GPU memory growth is switched on so TensorFlow does not grab the whole card;
mixed precision (float16 compute, float32 weights) is used only on a GPU, where
it pays; several GPUs train together under ``MirroredStrategy``. The returned
description says what is actually in use, including when a request could not
be honoured (mixed precision asked for on a CPU).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import keras
import tensorflow as tf


@dataclass
class Device:
    """The strategy to build and train under, and how to describe it."""

    strategy: tf.distribute.Strategy
    description: str
    gpus: int
    mixed_precision: bool


def describe(gpus: int) -> str:
    """How the visible hardware is named in the app (``CPU``, ``GPU``, ``2 GPUs``)."""
    if gpus > 1:
        return f"{gpus} GPUs"
    return "GPU" if gpus else "CPU"


def visible_gpus() -> int:
    return len(tf.config.list_physical_devices("GPU"))


def configure(mixed_precision: bool = False) -> Device:
    """Set memory growth and the dtype policy; pick a distribution strategy."""
    gpus = tf.config.list_physical_devices("GPU")
    for gpu in gpus:
        # Already initialised by an earlier run in this process: keep its setting.
        with contextlib.suppress(RuntimeError):
            tf.config.experimental.set_memory_growth(gpu, True)
    use_mixed = mixed_precision and bool(gpus)
    keras.mixed_precision.set_global_policy("mixed_float16" if use_mixed else "float32")
    description = describe(len(gpus))
    if len(gpus) > 1:
        strategy: tf.distribute.Strategy = tf.distribute.MirroredStrategy()
        description += " (MirroredStrategy)"
    else:
        strategy = tf.distribute.get_strategy()
    if use_mixed:
        description += ", mixed precision"
    elif mixed_precision:
        description += " (mixed precision needs a GPU: using float32)"
    return Device(strategy, description, len(gpus), use_mixed)
