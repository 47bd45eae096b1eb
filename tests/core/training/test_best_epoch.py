"""The best epoch: one rule for the engine, the run record and the chart."""

from __future__ import annotations

import math

from core.training.best_epoch import best_in_history, monitor_mode, monitored


def test_accuracy_is_best_high_and_loss_low():
    assert monitor_mode("val_accuracy") == "max"
    assert monitor_mode("accuracy") == "max"
    assert monitor_mode("val_loss") == "min"
    history = {"val_loss": [0.9, 0.4, 0.6], "val_accuracy": [0.5, 0.7, 0.8]}
    assert best_in_history(history, "val_loss") == (1, 0.4)
    assert best_in_history(history, "val_accuracy") == (2, 0.8)


def test_the_first_of_equal_values_and_only_finite_ones_count():
    assert best_in_history({"loss": [0.5, 0.5, 0.7]}, "loss") == (0, 0.5)
    assert best_in_history({"loss": [math.nan, math.inf, 0.7]}, "loss") == (2, 0.7)
    assert best_in_history({"loss": [math.nan]}, "loss") is None
    assert best_in_history({}, "val_loss") is None


def test_without_validation_the_training_metric_is_monitored():
    assert monitored("val_accuracy", has_validation=False) == "accuracy"
    assert monitored("val_accuracy", has_validation=True) == "val_accuracy"
    assert best_in_history({"accuracy": [0.2, 0.6, 0.4]}, "val_accuracy") == (1, 0.6)


def test_epochs_number_a_resumed_runs_rows():
    assert best_in_history({"loss": [0.5, 0.3]}, "loss", epochs=[4, 5]) == (5, 0.3)
