"""The Data page's class chart names every class, legibly (#25).

With CIFAR-10's ten classes at the Data page's width, vertical bars' labels ran
into each other ("automobilebird") and "airplane" was not drawn at all.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QApplication

from desktop.widgets.distribution_chart import DistributionChart

CIFAR = ["airplane", "automobile", "bird", "cat", "deer"]
CIFAR += ["dog", "frog", "horse", "ship", "truck"]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


def drawn_labels(chart: DistributionChart, axis_name: str):
    """The tick labels a repaint would draw, with their rectangles."""
    axis = chart.plot.getAxis(axis_name)
    canvas = QImage(chart.width(), chart.height(), QImage.Format.Format_ARGB32)
    painter = QPainter(canvas)
    specs = axis.generateDrawSpecs(painter)[2]
    painter.end()
    return [(rect, text) for rect, _, text in specs]


@pytest.mark.parametrize(("width", "height"), [(460, 250), (700, 250), (460, 200)])
def test_every_class_is_named_and_no_label_runs_into_another(qtbot, width, height):
    chart = DistributionChart()
    qtbot.addWidget(chart)
    chart.resize(width, height)
    chart.show()
    qtbot.waitExposed(chart)
    counts = {"train": [4500] * 10, "validation": [500] * 10, "test": [1000] * 10}
    chart.set_counts(CIFAR, counts)
    QApplication.processEvents()  # the layout takes the axis's new width
    labels = drawn_labels(chart, "left") + drawn_labels(chart, "bottom")
    texts = [t for _, t in labels]
    assert all(name in texts for name in CIFAR), texts
    named = [r for r, t in labels if t in CIFAR]
    for i, a in enumerate(named):
        assert not any(a.intersects(b) for b in named[i + 1 :])
    assert chart.counts("train") == counts["train"]
    item = chart.plot.getPlotItem()
    assert not chart.legend.sceneBoundingRect().intersects(item.vb.sceneBoundingRect())
    ARTIFACTS.mkdir(exist_ok=True)
    chart.grab().save(str(ARTIFACTS / f"class-chart-{width}x{height}.png"))
