"""The cosine learning-rate schedule and its warm-up.

One rule for a run (``core.training.engine``) and for "Export as Python",
which copies this function's source into the script, so the two cannot drift.
"""

from __future__ import annotations

import keras


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
