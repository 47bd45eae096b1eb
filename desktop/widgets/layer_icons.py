"""Small painted glyphs for layer categories and the locked head.

Painted at runtime so the app ships no image assets for them; one colour per
category lets the eye group convolution, pooling, dense, ... in the stack.
"""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPainterPath, QPen, QPixmap

from desktop import colours

CATEGORY_COLORS = colours.CATEGORIES
_SIZE = 32  # painted at 2x the usual 16 px so it stays crisp on HiDPI screens


def category_color(category: str) -> QColor:
    return QColor(CATEGORY_COLORS.get(category, CATEGORY_COLORS["Preprocessing"]))


@cache
def category_icon(category: str) -> QIcon:
    """A rounded square in the category colour with its initial letter."""
    pixmap, painter = _canvas()
    painter.setBrush(category_color(category))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.drawRoundedRect(QRectF(2, 2, _SIZE - 4, _SIZE - 4), 7, 7)
    font = QFont()
    font.setBold(True)
    font.setPixelSize(18)
    painter.setFont(font)
    painter.setPen(QColor(colours.GLYPH_PAPER))
    painter.drawText(
        QRectF(0, 0, _SIZE, _SIZE), Qt.AlignmentFlag.AlignCenter, category[:1]
    )
    painter.end()
    return QIcon(pixmap)


@cache
def lock_icon() -> QIcon:
    """A grey padlock: the head row cannot be moved, deleted or edited here."""
    pixmap, painter = _canvas()
    grey = QColor(colours.GLYPH_GREY)
    painter.setPen(QPen(grey, 3.2))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    shackle = QPainterPath()
    shackle.moveTo(10, 15)
    shackle.lineTo(10, 11)
    shackle.arcTo(QRectF(10, 4, 12, 13), 180, -180)
    shackle.lineTo(22, 15)
    painter.drawPath(shackle)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(grey)
    painter.drawRoundedRect(QRectF(6, 14, 20, 15), 3, 3)
    painter.setBrush(QColor(colours.GLYPH_PAPER))
    painter.drawEllipse(QRectF(14, 18.5, 4, 4))
    painter.drawRect(QRectF(15.2, 21, 1.6, 4))
    painter.end()
    return QIcon(pixmap)


@cache
def error_icon() -> QIcon:
    """A red disc with an exclamation mark for layers that cannot work."""
    pixmap, painter = _canvas()
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(colours.GLYPH_RED))
    painter.drawEllipse(QRectF(2, 2, _SIZE - 4, _SIZE - 4))
    painter.setBrush(QColor(colours.GLYPH_PAPER))
    painter.drawRoundedRect(QRectF(14, 7, 4, 12), 2, 2)
    painter.drawEllipse(QRectF(14, 21, 4, 4))
    painter.end()
    return QIcon(pixmap)


@cache
def duplicate_icon() -> QIcon:
    """Two overlapping sheets: the usual picture for "duplicate"."""
    pixmap, painter = _canvas()
    painter.setPen(QPen(QColor(colours.GLYPH_OUTLINE), 2.4))
    painter.setBrush(QColor(colours.GLYPH_PAPER))
    painter.drawRoundedRect(QRectF(4, 4, 17, 19), 3, 3)
    painter.setBrush(QColor(colours.GLYPH_SHEET))
    painter.drawRoundedRect(QRectF(11, 10, 17, 19), 3, 3)
    painter.end()
    return QIcon(pixmap)


def _canvas() -> tuple[QPixmap, QPainter]:
    pixmap = QPixmap(_SIZE, _SIZE)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    return pixmap, painter
