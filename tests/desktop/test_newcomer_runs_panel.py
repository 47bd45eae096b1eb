"""The Runs tab's comparison as a newcomer sees it: the test accuracy in view and a
legend with colour samples beside, not over, the curves (screenshots in
tests/artifacts, checked by eye)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QApplication

from core.runs import RunStore
from desktop.widgets.runs_panel import RunsPanel

ARTIFACTS = Path(__file__).parents[1] / "artifacts"


def test_compare_shows_every_column_and_a_legend_beside_the_curves(qtbot, tmp_path):
    store = RunStore(tmp_path / "runs")
    for label, losses in (("first", [1.0, 0.8, 0.7]), ("second", [0.9, 0.6, 0.5])):
        run = store.create(label, {"training": {}})
        history = {"loss": losses, "val_loss": losses}
        store.finish(run, {"epochs_run": len(losses), "history": history})
    panel = RunsPanel(lambda: store)
    qtbot.addWidget(panel)
    panel.resize(1150, 330)  # the Training page's results at 1366x768
    panel.show()
    panel.refresh()
    panel.table.selectAll()
    QApplication.processEvents()
    ARTIFACTS.mkdir(exist_ok=True)
    panel.grab().save(str(ARTIFACTS / "runs-compare.png"))
    table = panel.table
    headers = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    column = headers.index("test accuracy")
    right = table.columnViewportPosition(column) + table.columnWidth(column)
    assert right <= table.viewport().width()  # in view without scrolling
    item = panel.plot.getPlotItem()
    legend = item.legend
    view = item.vb.sceneBoundingRect()
    assert not legend.sceneBoundingRect().intersects(view)  # beside the curves
