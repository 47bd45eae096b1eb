"""TrainingChart: the curve data, EMA smoothing and the overfitting shading."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QApplication

from desktop.widgets.training_chart import TrainingChart, ema

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


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
    shaded_x, shaded_y = chart.overfit_bars.getData()  # one filled path for all
    assert list(shaded_x) == [2, 2, 3, 3, 3, 3, 4, 4]
    assert chart.overfit_bars.isVisible()
    assert min(shaded_y) == 0
    assert max(shaded_y) >= chart.plots["loss"].viewRange()[1][1]
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


def test_the_best_epoch_mark_follows_the_checkpoint_metric(qtbot):
    chart = TrainingChart()
    qtbot.addWidget(chart)
    chart.begin(3, "val_accuracy")
    for epoch, (val_loss, val_acc) in enumerate([(1.0, 0.5), (0.9, 0.7), (0.8, 0.6)]):
        chart.add_epoch(
            epoch, {"loss": 1.0, "val_loss": val_loss, "val_accuracy": val_acc}
        )
    assert chart.best_line.value() == 2  # highest val_accuracy, not lowest loss
    chart.begin(2, "val_loss")
    for epoch, loss in enumerate([0.7, 0.9]):  # no validation data
        chart.add_epoch(epoch, {"loss": loss, "accuracy": 0.5})
    assert chart.best_line.value() == 1


def test_a_thousand_epochs_and_a_hundred_thousand_batches_stay_light(qtbot):
    chart = TrainingChart()
    qtbot.addWidget(chart)
    chart.resize(800, 300)
    chart.show()
    epochs, steps = 1_000, 100
    chart.begin(epochs)
    rng = np.random.default_rng(0)
    for epoch in range(epochs):
        for batch in range(steps):
            chart.add_batch(epoch, batch, steps, {"loss": 2.0 - epoch / 1000})
        chart.add_epoch(
            epoch, {"loss": 1.0 - epoch / 2000, "val_loss": rng.uniform(0.5, 1.5)}
        )
    chart._redraw()
    curve = chart.batch_curves["loss"]
    assert curve.opts["clipToView"]
    assert curve.opts["autoDownsample"]
    assert chart.epoch_curves["loss"].opts["symbol"] is None  # no 1,000 dots
    x, y = curve.xData, curve.yData  # all of it is held...
    assert len(chart.batch_x) == epochs * (steps + 1)  # + a NaN break per epoch
    assert len(x) == len(chart.batch_x)
    assert y[0] == 2.0
    assert chart.epochs["loss"][-1] == pytest.approx(1.0 - 999 / 2000)
    shown_x, _ = curve.getData()  # ...but only a downsampled view is drawn
    assert len(shown_x) < len(x) / 10
    assert len(chart.overfit_spans) > 200  # random val_loss: many shaded spans
    for _ in range(20):  # each paints; PySide 6.12 leaked None per paint call
        chart.repaint()
    assert chart.plots["loss"].viewRange()[0][1] >= epochs


@pytest.mark.parametrize("height", [240, 330, 600])
def test_the_best_label_stays_clear_of_the_legend(qtbot, height):
    """The usual case, the last epoch is the best: its label sat on the legend."""
    chart = _trained(qtbot, 10, 900, height)
    plot = chart.plots["loss"]
    QApplication.processEvents()  # the label follows its line on a repaint
    legend = plot.getPlotItem().legend.sceneBoundingRect()
    label = chart.best_line.label.sceneBoundingRect()
    assert chart.best_line.value() == 10
    assert not label.intersects(legend)


def _trained(qtbot, epochs: int, width: int, height: int) -> TrainingChart:
    """A chart after ``epochs`` epochs of a run whose loss falls and accuracy rises."""
    chart = TrainingChart()
    qtbot.addWidget(chart)
    chart.resize(width, height)
    chart.show()
    qtbot.waitExposed(chart)
    chart.begin(epochs)
    for epoch in range(epochs):
        loss = 2.0 * np.exp(-(epoch + 1) / 3) + 0.3
        chart.add_epoch(
            epoch,
            {
                "loss": loss,
                "val_loss": loss + 0.1,
                "accuracy": 1 - loss / 3,
                "val_accuracy": 0.95 - loss / 3,
            },
        )
    chart._redraw()
    QApplication.processEvents()
    return chart


@pytest.mark.parametrize(("epochs", "width"), [(10, 900), (30, 700), (30, 500)])
def test_legends_sit_outside_the_curves_and_the_last_epoch_has_its_label(
    qtbot, epochs, width
):
    """#25: the legends covered the curves, and the last x tick ("30") was missing."""
    chart = _trained(qtbot, epochs, width, 300)
    for name, plot in chart.plots.items():
        item = plot.getPlotItem()
        data_area = item.vb.sceneBoundingRect()
        legend = item.legend.sceneBoundingRect()
        assert not legend.intersects(data_area), name
        axis = item.getAxis("bottom")
        levels = axis.tickValues(0, epochs, axis.width())
        assert float(epochs) in [v for _, values in levels for v in values]
        canvas = QImage(width, 300, QImage.Format.Format_ARGB32)
        painter = QPainter(canvas)  # measures the labels as a repaint would
        drawn = [text for _, _, text in axis.generateDrawSpecs(painter)[2]]
        painter.end()
        assert str(epochs) in drawn, (name, drawn)  # ...and its label is drawn
    path = ARTIFACTS / f"training-chart-{epochs}-epochs-{width}.png"
    path.parent.mkdir(exist_ok=True)
    chart.grab().save(str(path))


def test_a_new_runs_empty_chart_drops_the_old_ranges(qtbot):
    chart = _trained(qtbot, 30, 700, 300)
    assert chart.plots["loss"].viewRange()[1][1] > 2
    chart.begin(5)
    chart._redraw()
    assert chart.plots["loss"].viewRange()[1][1] == pytest.approx(1.0, abs=0.05)
    assert 5 <= chart.plots["loss"].viewRange()[0][1] <= 6
