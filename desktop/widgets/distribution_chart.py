"""DistributionChart: images per class for each split, as grouped bars.

pyqtgraph is imported here, not by the main window, so it loads with the Data
page rather than delaying the first paint.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtWidgets import QVBoxLayout, QWidget

from desktop import colours

SPLIT_COLOURS = colours.SPLITS


class DistributionChart(QWidget):
    """Grouped bars; ``bars[split]`` holds the BarGraphItem (tests read its heights)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = colours.plot_widget()
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.showGrid(y=True, alpha=0.25)
        self.plot.setLabel("left", "images")
        self.legend = self.plot.addLegend(offset=(-10, 10))
        self.bars: dict[str, pg.BarGraphItem] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot)

    def set_counts(self, class_names: list[str], counts: dict[str, list[int]]) -> None:
        self.plot.clear()
        self.legend.clear()
        self.bars = {}
        splits = [s for s in ("train", "validation", "test") if s in counts]
        width = 0.8 / max(1, len(splits))
        for k, split in enumerate(splits):
            x = [i - 0.4 + width * (k + 0.5) for i in range(len(class_names))]
            item = pg.BarGraphItem(
                x=x,
                height=counts[split],
                width=width * 0.95,
                brush=SPLIT_COLOURS[split],
            )
            self.plot.addItem(item)
            self.legend.addItem(item, split)
            self.bars[split] = item
        axis = self.plot.getAxis("bottom")
        step = max(1, len(class_names) // 12)
        axis.setTicks(
            [[(i, n[:10]) for i, n in enumerate(class_names) if i % step == 0]]
        )
        self.plot.setXRange(-0.6, len(class_names) - 0.4, padding=0)
        # Headroom so the legend (top right) never covers a bar.
        top = max((max(v) for v in counts.values() if v), default=1)
        self.plot.setYRange(0, top * 1.6, padding=0)
