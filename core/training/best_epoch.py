"""The best epoch of a run and which way its monitored metric improves.

One rule for the engine (which epoch ``best.keras`` holds, what a resume
starts from), the run record and the Training page's chart (where the "best"
line goes), so the line always marks the model that was kept. Pure Python:
the chart asks on every epoch without importing Keras.

Example:
    >>> best_in_history({"val_loss": [0.9, 0.5, 0.7]}, "val_loss")
    (1, 0.5)
    >>> monitor_mode("val_accuracy"), monitor_mode("val_loss")
    ('max', 'min')
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence


def monitor_mode(monitor: str) -> str:
    """Explicit, so Keras never has to guess (it cannot for an uncompiled metric)."""
    return "max" if "accuracy" in monitor else "min"


def is_better(value: float, best: float | None, mode: str) -> bool:
    """``value`` beats ``best`` (strictly, as Keras's callbacks judge)."""
    if best is None:
        return True
    return value > best if mode == "max" else value < best


def monitored(monitor: str, has_validation: bool) -> str:
    """Without validation data the ``val_`` metrics do not exist: the training one."""
    return monitor if has_validation else monitor.removeprefix("val_")


def best_in_history(
    history: Mapping[str, Sequence[float]],
    monitor: str,
    epochs: Sequence[int] | None = None,
) -> tuple[int, float] | None:
    """``(epoch, value)`` of the best finite ``monitor`` value, or None.

    ``epochs`` numbers the history's rows (a resumed run's part starts past 0);
    without it row i is epoch i. Without validation the ``val_`` metric falls
    back to the training one, as the callbacks' monitor does. The first of
    equal values wins, as a checkpoint saving only on improvement keeps it.
    """
    key = monitored(monitor, monitor in history)
    values = history.get(key) or []
    numbers = list(epochs) if epochs is not None else list(range(len(values)))
    best: tuple[int, float] | None = None
    mode = monitor_mode(key)
    for epoch, value in zip(numbers, values, strict=False):
        if math.isfinite(value) and (best is None or is_better(value, best[1], mode)):
            best = (epoch, float(value))
    return best
