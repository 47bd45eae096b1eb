"""TrainingChart: live loss and accuracy curves, per epoch and per batch.

Logs are appended to plain lists as they arrive; the curves are redrawn by a
timer ten times a second, with clip-to-view and downsampling on the dense batch
curves, so 100,000 batches stay smooth. Axis text is the expensive part of a
repaint (measured: most of a 25 ms redraw), so the axes are cached as pixmaps
and their ranges change rarely: x spans the planned epochs, accuracy is 0-1,
and the loss range only grows when a value leaves it.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer, Slot
from PySide6.QtWidgets import QGraphicsItem, QHBoxLayout, QWidget

from core.training.best_epoch import best_in_history
from core.training.overfitting import overfits
from desktop import colours

MAX_SYMBOLS = 200  # epoch markers drawn up to this many epochs, lines after

SERIES = {
    "loss": ("loss", colours.SERIES[0]),
    "val_loss": ("loss", colours.SERIES[1]),
    "accuracy": ("accuracy", colours.SERIES[0]),
    "val_accuracy": ("accuracy", colours.SERIES[1]),
}


class TrainingChart(QWidget):
    """Loss and accuracy plots; ``epochs[key]`` and ``batches[key]`` hold the data."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plots = {}
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for name in ("loss", "accuracy"):
            plot = colours.plot_widget()
            item = plot.getPlotItem()
            plot.showGrid(x=True, y=True, alpha=0.2)
            plot.setLabel("bottom", "epoch")
            # The legend takes the title's row, whose words it repeats ("loss",
            # "val_loss"): inside the plot no corner stays empty (an overfitting
            # loss rises, a hard task's accuracy stays low), and it covered the
            # curves; beside a title it ran into it on a narrow window.
            legend = plot.addLegend(colCount=2, frame=False)
            legend.setParentItem(item)
            legend.layout.setContentsMargins(0, 0, 0, 0)
            legend.anchor(itemPos=(0.5, 0), parentPos=(0.5, 0), offset=(0, 2))
            item.layout.setRowFixedHeight(0, 26)
            plot.disableAutoRange()
            for side in ("left", "bottom"):
                plot.getAxis(side).setCacheMode(
                    QGraphicsItem.CacheMode.DeviceCoordinateCache
                )
            layout.addWidget(plot)
            self.plots[name] = plot
        self.epoch_curves = {}
        self.batch_curves = {}
        for key, (plot, colour) in SERIES.items():
            p = self.plots[plot]
            self.epoch_curves[key] = p.plot(
                pen=pg.mkPen(colour, width=2),
                symbol="o",
                symbolSize=5,
                symbolBrush=colour,
                name=key,
            )
            if not key.startswith("val_"):
                # connect="finite": a NaN at each epoch end breaks the line, since
                # Keras's batch logs are running means that restart every epoch.
                curve = p.plot(pen=pg.mkPen(colour + "55", width=1), connect="finite")
                curve.setClipToView(True)
                curve.setDownsampling(auto=True, method="mean")
                self.batch_curves[key] = curve
        self.best_line = pg.InfiniteLine(
            angle=90,
            pen=pg.mkPen(colours.BEST_EPOCH, style=pg.QtCore.Qt.PenStyle.DashLine),
            label="best",
            # Mid-height: the last epoch is often the best, and a falling loss
            # leaves the middle empty.
            labelOpts={
                "position": 0.5,
                "color": colours.readable(colours.BEST_EPOCH),
                "fill": colours.label_fill(),
            },
        )
        self.plots["loss"].addItem(self.best_line)
        self.best_line.hide()
        # Where phase 2 (fine-tuning the backbone) starts, on both plots.
        self.phase_lines = []
        for plot in self.plots.values():
            line = pg.InfiniteLine(
                angle=90,
                pen=pg.mkPen(
                    colours.PHASE_TWO, width=1.5, style=pg.QtCore.Qt.PenStyle.DotLine
                ),
                label="fine-tuning",
                # Above the best epoch's label.
                labelOpts={
                    "position": 0.65,
                    "color": colours.readable(colours.PHASE_TWO),
                    "fill": colours.label_fill(),
                },
            )
            line.setToolTip("Phase 2 starts: the backbone is unfrozen and trained")
            plot.addItem(line)
            line.hide()
            self.phase_lines.append(line)
        self.phase_boundary: int | None = None
        self.smoothing = 0.0  # EMA factor; 0 shows the raw values
        self.monitor = "val_loss"  # the metric whose best epoch is marked
        self.overfit_spans: list[tuple[float, float]] = []
        # All shaded spans are one filled path: an item per span costs a paint call
        # each (measured: 489 LinearRegionItems made a repaint 62 ms instead of 8).
        self.overfit_bars = pg.PlotCurveItem(
            pen=pg.mkPen(None), brush=pg.mkBrush(*colours.OVERFIT_FILL), fillLevel=0
        )
        self.overfit_bars.setToolTip(
            "overfitting: validation loss rose while training loss fell"
        )
        self.overfit_bars.setZValue(-10)
        self.plots["loss"].addItem(self.overfit_bars)
        self.overfit_bars.hide()
        self.clear()
        self._dirty = False
        self._timer = QTimer(self)
        self._timer.setInterval(100)  # ten redraws a second at most
        self._timer.timeout.connect(self._redraw)
        self._timer.start()

    def begin(self, total_epochs: int, monitor: str = "val_loss") -> None:
        """Start a run: fixed x range for the planned epochs, empty curves.

        ``monitor`` is the metric whose best epoch is marked: the one the run's
        checkpoint keeps, so the mark and the saved best model agree.
        """
        self.clear()
        self.monitor = monitor
        self._show_epochs(max(1, total_epochs))
        self.plots["accuracy"].setYRange(0, 1, padding=0.02)
        # Empty until the first loss arrives: not the previous run's range.
        self.plots["loss"].setYRange(0, 1, padding=0)
        self._loss_top = 0.0

    def clear(self) -> None:
        self.epochs: dict[str, list[float]] = {k: [] for k in SERIES}
        self.epoch_x: list[float] = []
        # numpy buffers: converting 100,000-item lists took 8 ms of every redraw
        self.batches: dict[str, Buffer] = {k: Buffer() for k in self.batch_curves}
        self.batch_x = Buffer()
        self.best_line.hide()
        self.set_phase_boundary(None)
        self._loss_top = 0.0
        self._max_loss = 0.0  # largest finite loss so far, kept as values arrive
        self.overfit_spans = []
        self.overfit_bars.hide()
        self._dirty = True

    def set_phase_boundary(self, epoch: int | None) -> None:
        """Mark where phase 2 starts: ``epoch`` is its first epoch (0-based), so
        the line sits where the previous epoch ends; None removes it."""
        self.phase_boundary = epoch
        for line in self.phase_lines:
            if epoch is None:
                line.hide()
            else:
                line.setValue(float(epoch))
                line.show()

    def set_smoothing(self, factor: float) -> None:
        """Exponential moving average, as the Keras book smooths its curves."""
        self.smoothing = factor
        self._dirty = True

    def add_epoch(self, epoch: int, logs: dict[str, float]) -> None:
        """``epoch``'s logs (0-based): one point per epoch, in order.

        An epoch already drawn is drawn again from there: a resumed run's
        chart is seeded from its history file when the run begins, and an
        epoch that reached the file before it was read arrives live too. A
        second point for it drew a straight line back across the curves.
        """
        if self.epoch_x and epoch + 1 <= self.epoch_x[-1]:
            self._cut_back(epoch + 1)
        self.epoch_x.append(epoch + 1)
        if self.batch_x:
            self.batch_x.append(epoch + 1)
            for values in self.batches.values():
                values.append(np.nan)
        for key in SERIES:
            self.epochs[key].append(logs.get(key, np.nan))
        self._track_max(logs.get("loss"))
        self._track_max(logs.get("val_loss"))
        # Only the metrics this epoch logged: without validation data the
        # val_ monitor falls back to the training metric.
        logged = {k: self.epochs[k] for k in SERIES if logs.get(k) is not None}
        best = best_in_history(logged, self.monitor)
        if best is not None:
            self.best_line.setValue(self.epoch_x[best[0]])
            self.best_line.show()
        self._mark_overfitting()
        self._dirty = True

    def _cut_back(self, x: float) -> None:
        """Forget the epochs from ``x`` on (their points and overfitting marks)."""
        keep = next(i for i, shown in enumerate(self.epoch_x) if shown >= x)
        del self.epoch_x[keep:]
        for values in self.epochs.values():
            del values[keep:]
        self.overfit_spans = [span for span in self.overfit_spans if span[1] < x]
        if self.overfit_spans:
            self._shade_spans()
        else:
            self.overfit_bars.hide()

    def add_batch(
        self, epoch: int, batch: int, steps: int, logs: dict[str, float]
    ) -> None:
        self.batch_x.append(epoch + (batch + 1) / max(steps, 1))
        for key in self.batches:
            self.batches[key].append(logs.get(key, np.nan))
        self._track_max(logs.get("loss"))
        self._dirty = True

    def _track_max(self, value: float | None) -> None:
        if value is not None and math.isfinite(value) and value > self._max_loss:
            self._max_loss = float(value)

    def _mark_overfitting(self) -> None:
        """Shade each epoch where validation loss rose while training loss fell."""
        loss, val = self.epochs["loss"], self.epochs["val_loss"]
        if overfits(loss, val, len(val) - 1):
            span = (self.epoch_x[-2], self.epoch_x[-1])
            self.overfit_spans.append(span)
            self._shade_spans()

    def _shade_spans(self) -> None:
        """One bar per span, from 0 to past the top of the loss axis."""
        if not self.overfit_spans:
            return
        spans = np.asarray(self.overfit_spans, dtype=float)
        x = np.repeat(spans, 2, axis=1).ravel()  # a, a, b, b for each span (a, b)
        top = max(self._loss_top, 1.0) * 4
        y = np.tile([0.0, top, top, 0.0], len(spans))
        self.overfit_bars.setData(x, y)
        self.overfit_bars.show()

    @Slot()
    def _redraw(self) -> None:
        if not self._dirty:
            return
        self._dirty = False
        x = np.asarray(self.epoch_x)
        symbol = "o" if len(x) <= MAX_SYMBOLS else None  # 1,000 dots: 10 ms a redraw
        for key, curve in self.epoch_curves.items():
            if curve.opts["symbol"] != symbol:
                curve.setSymbol(symbol)
            curve.setData(x, ema(self.epochs[key], self.smoothing))
        bx = self.batch_x.view()
        for key, curve in self.batch_curves.items():
            curve.setData(bx, self.batches[key].view())
        top = self._max_loss
        if top > self._loss_top:  # grow only: a moving axis repaints every frame
            self._loss_top = float(top) * 1.25
            self.plots["loss"].setYRange(0, self._loss_top, padding=0)
            self._shade_spans()
        if self.epoch_x and self.epoch_x[-1] > self.plots["loss"].viewRange()[0][1]:
            self._show_epochs(self.epoch_x[-1])

    def _show_epochs(self, last: float) -> None:
        """x from 0 to ``last`` with room for the last tick's label: pyqtgraph hides
        a label that reaches past the plot (with a grid, whatever its style says),
        and 2% of padding left the last epoch's number out."""
        margin = max(0.5, 0.05 * last)
        for plot in self.plots.values():
            plot.setXRange(-margin / 2, last + margin, padding=0)


class Buffer:
    """An append-only float array that grows by doubling."""

    def __init__(self) -> None:
        self._data = np.empty(1024)
        self._size = 0

    def append(self, value: float) -> None:
        if self._size == len(self._data):
            self._data = np.concatenate([self._data, np.empty(len(self._data))])
        self._data[self._size] = value
        self._size += 1

    def view(self) -> np.ndarray:
        return self._data[: self._size]

    def __len__(self) -> int:
        return self._size


def ema(values: list[float], factor: float) -> np.ndarray:
    """Exponential moving average; NaN (no value yet) passes through unchanged."""
    out = np.asarray(values, dtype=float)
    if factor <= 0 or out.size == 0:
        return out
    smoothed = out.copy()
    last = np.nan
    for i, v in enumerate(out):
        if np.isnan(v):
            continue
        last = v if np.isnan(last) else factor * last + (1 - factor) * v
        smoothed[i] = last
    return smoothed
