"""TrainingChart: the curve data, EMA smoothing and the overfitting shading."""

from __future__ import annotations

import numpy as np
import pytest

from desktop.widgets.training_chart import TrainingChart, ema


def test_curves_hold_the_logs_and_mark_overfitting(qtbot):
    chart = TrainingChart()
    qtbot.addWidget(chart)
    chart.begin(4)
    logs = [
        {"loss": 1.0, "val_loss": 1.1, "accuracy": 0.5, "val_accuracy": 0.4},
        {"loss": 0.8, "val_loss": 0.9, "accuracy": 0.6, "val_accuracy": 0.5},
        {"loss": 0.6, "val_loss": 1.0, "accuracy": 0.7, "val_accuracy": 0.5},
        {"loss": 0.5, "val_loss": 1.2, "accuracy": 0.8, "val_accuracy": 0.45},
    ]
    for epoch, values in enumerate(logs):
        chart.add_batch(epoch, 0, 1, {"loss": values["loss"] + 0.1})
        chart.add_epoch(epoch, values)
    assert chart.epochs["val_loss"] == [1.1, 0.9, 1.0, 1.2]
    assert chart.overfit_spans == [(2, 3), (3, 4)]
    assert chart.best_line.value() == 2  # lowest validation loss, 1-based epochs
    chart._redraw()
    x, y = chart.epoch_curves["loss"].getData()
    assert list(x) == [1, 2, 3, 4]
    assert list(y) == pytest.approx([1.0, 0.8, 0.6, 0.5])
    chart.set_smoothing(0.6)
    chart._redraw()
    _, smoothed = chart.epoch_curves["loss"].getData()
    assert smoothed[1] == pytest.approx(0.6 * 1.0 + 0.4 * 0.8)


def test_ema_skips_missing_values():
    out = ema([np.nan, 1.0, np.nan, 2.0], 0.5)
    assert np.isnan(out[0])
    assert out[1] == 1.0
    assert out[3] == pytest.approx(1.5)
