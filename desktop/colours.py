"""Every colour the app paints itself, in one place, readable on any palette.

Text roles (error, warning, ok, accent, muted) keep their hue everywhere (red
means a problem on every page) but take their lightness from the palette: each
is lightened on a dark palette, or darkened on a light one, until it contrasts
with the palette's Window and Base at WCAG's 4.5:1 for body text. So a user's
dark theme needs no second set of literals, and nothing is computed at import:
the palette is read when the colour is used.

Marks that sit on their own fill (chart series, layer-category badges with a
white letter) are fixed, and chosen to read on light and dark backgrounds.
"""

from __future__ import annotations

import re
import sys

from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QLabel, QWidget

MIN_CONTRAST = 4.5  # WCAG AA for body text
_HUES = {"error": "#c62828", "warning": "#b26a00", "ok": "#2e7d32", "accent": "#3b6ea8"}
ROLES = (*_HUES, "muted")

# Chart series: train and validation curves, splits, runs side by side.
SERIES = ("#3b6ea8", "#d9822b", "#4c9a5b", "#c62828", "#7b5ea7", "#8c6d31")
SPLITS = {"train": SERIES[0], "validation": SERIES[1], "test": SERIES[2]}
BEST_EPOCH = SERIES[2]
PHASE_TWO = "#7b1fa2"
OVERFIT_FILL = (217, 130, 43, 45)  # translucent, over any plot background

# Layer-category badges (a white letter on the fill) and small glyphs.
CATEGORIES = {
    "Convolution": "#3b7dd8",
    "Pooling": "#2a9d8f",
    "Reshaping": "#8d6cc7",
    "Core": "#e07b39",
    "Regularization": "#c44b6c",
    "Normalization": "#6a994e",
    "Preprocessing": "#7a7f87",
}
GLYPH_GREY = "#8a8f98"
GLYPH_RED = "#d1343a"
GLYPH_OUTLINE = "#5f6670"
GLYPH_PAPER = "#ffffff"
GLYPH_SHEET = "#dbe7f7"


def luminance(colour: QColor) -> float:
    """WCAG relative luminance, 0 (black) to 1 (white)."""

    def channel(value: float) -> float:
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in (colour.redF(), colour.greenF(), colour.blueF()))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: QColor, b: QColor) -> float:
    """WCAG contrast ratio of two opaque colours, 1 to 21."""
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _palette(palette: QPalette | None) -> QPalette:
    return palette if palette is not None else QGuiApplication.palette()


def backgrounds(palette: QPalette | None = None) -> tuple[QColor, QColor]:
    """What text sits on: the window (labels) and the base (lists, tables)."""
    pal = _palette(palette)
    return pal.color(QPalette.ColorRole.Window), pal.color(QPalette.ColorRole.Base)


def is_dark(palette: QPalette | None = None) -> bool:
    return luminance(backgrounds(palette)[0]) < 0.2


def mix(a: QColor, b: QColor, share_of_b: float) -> QColor:
    """``a`` moved ``share_of_b`` of the way towards ``b``."""
    t = share_of_b
    return QColor.fromRgbF(
        a.redF() * (1 - t) + b.redF() * t,
        a.greenF() * (1 - t) + b.greenF() * t,
        a.blueF() * (1 - t) + b.blueF() * t,
    )


def readable(colour: QColor | str, palette: QPalette | None = None) -> QColor:
    """``colour``'s hue at the nearest lightness that reads on the palette."""
    colour = QColor(colour)
    behind = backgrounds(palette)
    lighten = is_dark(palette)
    h, s, lightness, _ = colour.getHslF()
    h = max(h, 0.0)  # achromatic greys report -1
    step = 0.02 if lighten else -0.02
    candidate = QColor(colour)
    while min(contrast(candidate, b) for b in behind) < MIN_CONTRAST:
        lightness += step
        if not 0.0 <= lightness <= 1.0:
            break
        candidate = QColor.fromHslF(h, s, lightness)
    return candidate


def role(name: str, palette: QPalette | None = None) -> QColor:
    """The colour of a text role (``"error"``, ``"muted"``, ...) on ``palette``."""
    pal = _palette(palette)
    if name == "muted":
        text = pal.color(QPalette.ColorRole.WindowText)
        return readable(mix(text, backgrounds(pal)[0], 0.5), pal)
    return readable(QColor(_HUES[name]), pal)


def css(name: str) -> str:
    """A role as ``#rrggbb`` for a style sheet or rich text."""
    return role(name).name()


def span(text: object, name: str) -> str:
    """Rich text of ``text`` in the colour of role ``name``."""
    return f"<span style='color:{css(name)}'>{text}</span>"


def tint(name: str, palette: QPalette | None = None) -> QColor:
    """A faint wash of a role over the base, as the background of a notice."""
    pal = _palette(palette)
    return mix(pal.color(QPalette.ColorRole.Base), QColor(_HUES[name]), 0.12)


def placeholder(palette: QPalette | None = None) -> QColor:
    """The grey of an image that is not loaded yet."""
    pal = _palette(palette)
    return mix(
        pal.color(QPalette.ColorRole.Base), pal.color(QPalette.ColorRole.Mid), 0.35
    )


def label_fill(palette: QPalette | None = None) -> QColor:
    """The base, nearly opaque: behind a label drawn over chart lines."""
    fill = QColor(_palette(palette).color(QPalette.ColorRole.Base))
    fill.setAlpha(210)
    return fill


def plot_widget(**kwargs):
    """A pyqtgraph PlotWidget on the palette's base, axes and titles muted.

    pyqtgraph reads its foreground option when an axis or title is made, so it
    is set here just before, from the palette in use now.
    """
    import pyqtgraph as pg

    base = _palette(None).color(QPalette.ColorRole.Base)
    pg.setConfigOption("foreground", role("muted"))
    return pg.PlotWidget(background=base, **kwargs)


def restyle(root: QWidget, before: QPalette, after: QPalette) -> None:
    """Move what ``root`` painted for ``before`` over to ``after``.

    Qt repaints its own backgrounds and text when the palette changes (a
    desktop switching to its dark theme), but not the colours the app wrote
    itself: role colours inside label texts and style sheets, and the charts'
    background and axes. Each old role colour becomes the same role's colour
    on the new palette, so a label keeps its meaning (red stays a problem).
    """
    swap = {role(n, before).name(): role(n, after).name() for n in ROLES}
    swap = {old: new for old, new in swap.items() if old != new}
    if swap:
        found = re.compile("|".join(map(re.escape, swap)), re.IGNORECASE)

        def remap(text: str) -> str:
            return found.sub(lambda m: swap[m.group(0).lower()], text)

        for widget in [root, *root.findChildren(QWidget)]:
            if isinstance(widget, QLabel) and found.search(widget.text()):
                widget.setText(remap(widget.text()))
            if found.search(widget.styleSheet()):
                widget.setStyleSheet(remap(widget.styleSheet()))
    pg = sys.modules.get("pyqtgraph")  # no chart exists before it is imported
    if pg is not None:
        muted = role("muted", after)
        for plot in root.findChildren(pg.PlotWidget):
            plot.setBackground(after.color(QPalette.ColorRole.Base))
            item = plot.getPlotItem()
            for axis in item.axes.values():
                axis["item"].setPen(muted)
                axis["item"].setTextPen(muted)
            item.titleLabel.setText(item.titleLabel.text, color=muted)
            if item.legend is not None:  # its labels keep the colour they drew with
                item.legend.setLabelTextColor(muted)
                for _, label in item.legend.items:
                    label.setText(label.text, color=muted)
