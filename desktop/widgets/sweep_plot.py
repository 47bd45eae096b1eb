"""SweepPlot: each varied setting against the sweep's objective, a scatter each.

One small plot per varied setting, side by side: a point per completed
trial at its value (a choice's values spaced evenly and named on the axis;
a log-scale range on a log axis) and its score; the best trial stands out.
Failed and unfinished trials have no score and are not drawn.
"""

from __future__ import annotations

import math
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QEvent
from PySide6.QtGui import QPalette

from core.sweeps.folder import COMPLETED, TrialRecord
from desktop import colours
from desktop.widgets.sweep_ranges import heading

COLUMNS = 3  # plots in a row; more varied settings wrap to another row
POINT = colours.SERIES[0]
BEST = colours.SERIES[3]
MAX_TICKS = 8  # labels on a log axis


class SweepPlot(pg.GraphicsLayoutWidget):
    """``show_trials`` draws a sweep's trials; ``scatters``: each plot's points."""

    def __init__(self, parent=None) -> None:
        pg.setConfigOption("foreground", colours.role("muted"))
        super().__init__(parent)
        self.setBackground(self.palette().color(QPalette.ColorRole.Base))
        self.setMinimumHeight(160)
        self.scatters: dict[str, pg.PlotDataItem] = {}
        self._shown: tuple = ([], {}, "", None)

    def changeEvent(self, event: QEvent) -> None:
        """A new palette (a dark theme): drawn again in its colours, as
        ``colours.restyle`` does for the app's PlotWidgets."""
        super().changeEvent(event)
        shown = getattr(self, "_shown", None)  # None: still being built
        if event.type() == QEvent.Type.PaletteChange and shown is not None:
            pg.setConfigOption("foreground", colours.role("muted"))
            self.setBackground(self.palette().color(QPalette.ColorRole.Base))
            self.show_trials(*shown)

    def show_trials(
        self,
        trials: list[TrialRecord],
        vary: dict[str, dict[str, Any]],
        objective: str,
        best: TrialRecord | None,
    ) -> None:
        """Plot ``trials`` (of a sweep varying ``vary``) on ``objective``."""
        self._shown = (trials, vary, objective, best)
        self.clear()
        self.scatters = {}
        scored = [t for t in trials if t.status == COMPLETED and t.score is not None]
        if best is not None:  # drawn last, over a trial that scored the same
            scored.sort(key=lambda t: t.trial_id == best.trial_id)
        for i, (key, raw) in enumerate(vary.items()):
            plot = self.addPlot(row=i // COLUMNS, col=i % COLUMNS)
            for side in ("bottom", "left"):  # 0.33, not 330 "x0.001"
                plot.getAxis(side).enableAutoSIPrefix(False)
            plot.setLabel("bottom", heading(key))
            if i % COLUMNS == 0:
                plot.setLabel("left", objective)
            log = bool(raw.get("log"))
            names = _names(raw)
            xs, ys, brushes = [], [], []
            for trial in scored:
                x = _position(trial.values.get(key), names, log)
                if x is None:
                    continue
                xs.append(x)
                ys.append(trial.score)
                is_best = best is not None and trial.trial_id == best.trial_id
                brushes.append(pg.mkBrush(BEST if is_best else POINT))
            self.scatters[key] = plot.plot(
                xs, ys, pen=None, symbol="o", symbolSize=9, symbolBrush=brushes
            )
            if names:
                plot.getAxis("bottom").setTicks([list(enumerate(names))])
                plot.setXRange(-0.5, len(names) - 0.5)
            elif log:
                plot.setLogMode(x=True, y=False)
                low, high = raw.get("min"), raw.get("max")
                if low and high:
                    plot.getAxis("bottom").setTicks([_log_ticks(low, high)])


def _names(raw: dict[str, Any]) -> list[str]:
    """A choice's values as axis names (empty for a number's range)."""
    values = raw.get("values")
    if values is None or all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in values
    ):
        return []
    return [str(v) for v in values]


def _log_ticks(low: float, high: float) -> list[tuple[float, str]]:
    """1, 2 and 5 times each power of ten from ``low`` to ``high``, at their
    logarithms (a log axis's own minor labels ran into each other)."""
    ticks = []
    for power in range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1):
        for mantissa in (1, 2, 5):
            value = mantissa * 10.0**power
            if low <= value <= high:
                ticks.append((math.log10(value), f"{value:g}"))
    if len(ticks) > MAX_TICKS:  # many decades: the powers of ten alone
        ticks = [t for t in ticks if t[1].lstrip("0.").startswith("1")]
    return ticks


def _position(value: Any, names: list[str], log: bool) -> float | None:
    """Where ``value`` sits on its axis (None: off it)."""
    if value is None:
        return None
    if names:
        return float(names.index(str(value))) if str(value) in names else None
    if log and value <= 0:
        return None
    return float(value)
