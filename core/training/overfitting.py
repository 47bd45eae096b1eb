"""Overfitting, as the Training page's chart shades it.

Kept out of the chart so the rule has one home and a test without Qt: an
epoch overfits when the validation loss rose from the epoch before while the
training loss fell (the model is learning its training images, not the task).

Example:
    >>> overfits([1.0, 0.8], [0.9, 1.1], 1)
    True
"""

from __future__ import annotations

from collections.abc import Sequence


def overfits(loss: Sequence[float], val_loss: Sequence[float], row: int) -> bool:
    """Row ``row`` of the history overfits; False for row 0 or a missing value.

    NaN (no validation that epoch) compares False, so it never shades.
    """
    if row < 1 or row >= min(len(loss), len(val_loss)):
        return False
    return val_loss[row] > val_loss[row - 1] and loss[row] < loss[row - 1]
