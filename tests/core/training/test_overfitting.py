"""Overfitting as the chart shades it: validation loss up, training loss down."""

from __future__ import annotations

import math

from core.training.overfitting import overfits


def test_validation_loss_rising_while_training_loss_falls_overfits():
    loss, val = [1.0, 0.8, 0.6, 0.7], [0.9, 1.0, 0.9, 1.2]
    assert [overfits(loss, val, i) for i in range(4)] == [False, True, False, False]


def test_missing_or_nan_values_never_overfit():
    assert not overfits([1.0], [1.0], 1)
    assert not overfits([1.0, 0.5], [math.nan, 1.0], 1)
    assert not overfits([1.0, 0.5], [1.0, math.nan], 1)
    assert not overfits([], [], 0)
