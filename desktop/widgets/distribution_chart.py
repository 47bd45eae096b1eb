"""DistributionChart: images per class for each split, as grouped horizontal bars.

Horizontal, so every class name has a line of its own on the left axis: under
vertical bars ten CIFAR-10 names ran into each other at the Data page's width
and the first was not drawn at all. pyqtgraph is imported here, not by the main
window, so it loads with the Data page rather than delaying the first paint.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QVBoxLayout, QWidget

from desktop import colours

SPLIT_COLOURS = colours.SPLITS
SPLITS = ("train", "validation", "test")


class DistributionChart(QWidget):
    """Grouped bars, the first class on top; ``bars[split]`` holds each BarGraphItem."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = colours.plot_widget()
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.showGrid(x=True, alpha=0.25)
        self.plot.setLabel("bottom", "images")
        self.plot.invertY(True)
        item = self.plot.getPlotItem()
        # The legend takes the title's row, above the bars, never over them.
        self.legend = self.plot.addLegend(colCount=len(SPLITS), frame=False)
        self.legend.setParentItem(item)
        self.legend.layout.setContentsMargins(0, 0, 0, 0)
        self.legend.anchor(itemPos=(0.5, 0), parentPos=(0.5, 0), offset=(0, 2))
        item.layout.setRowFixedHeight(0, 26)
        self.bars: dict[str, pg.BarGraphItem] = {}
        self._class_names: list[str] = []
        item.vb.sigResized.connect(self._name_classes)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot)

    def set_counts(self, class_names: list[str], counts: dict[str, list[int]]) -> None:
        self.plot.clear()
        self.legend.clear()
        self.bars = {}
        splits = [s for s in SPLITS if s in counts]
        thickness = 0.8 / max(1, len(splits))
        for k, split in enumerate(splits):
            y = [i - 0.4 + thickness * (k + 0.5) for i in range(len(class_names))]
            item = pg.BarGraphItem(
                x0=0,
                y=y,
                width=counts[split],
                height=thickness * 0.95,
                brush=SPLIT_COLOURS[split],
            )
            self.plot.addItem(item)
            self.legend.addItem(item, split)
            self.bars[split] = item
        self._class_names = list(class_names)
        self._name_classes()
        self.plot.setYRange(-0.6, len(class_names) - 0.4, padding=0)
        top = max((max(v) for v in counts.values() if v), default=1)
        self.plot.setXRange(0, top * 1.08, padding=0)

    def _name_classes(self) -> None:
        """As many names as the height has lines of text for.

        The axis is made as wide as the longest name up front (a third of the
        chart at most, longer names elided): left to pyqtgraph, it widens only
        after a first paint that leaves out every name wider than it was.
        """
        axis = self.plot.getAxis("left")
        metrics = QFontMetrics(axis.style["tickFont"] or self.font())
        room = max(40, self.width() // 3)
        names = [
            metrics.elidedText(n, Qt.TextElideMode.ElideMiddle, room)
            for n in self._class_names
        ]
        widest = max((metrics.horizontalAdvance(n) for n in names), default=0)
        axis.setWidth(widest + 12)  # the tick and its gap
        pitch = metrics.ascent() + 1  # tick labels are set tight, without leading
        lines = max(1, int(self.plot.getPlotItem().vb.height() // pitch))
        step = max(1, -(-len(names) // lines))
        axis.setTicks([[(i, n) for i, n in enumerate(names) if i % step == 0]])

    def counts(self, split: str) -> list[int]:
        """The images per class a split's bars show."""
        return [int(v) for v in self.bars[split].opts["width"]]
