"""FeatureMapSheet: a page of feature maps, tiled and scaled to fill the view.

A scroll area around a label. The number of columns is chosen on every resize
for the largest tiles the viewport allows (16 maps in a wide view make two
rows of eight; in a square one, four of four), then the sheet is scaled:
enlarged with crisp pixels (a 7x7 map is unreadable when smoothed), shrunk
smoothly.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QLabel, QScrollArea, QWidget

from desktop.widgets.image_grid import to_qimage

GAP = 1  # px between tiles, as core.inference.insight.tile_maps draws them
MARGIN = 4  # px kept free inside the viewport (no scroll bar for a rounding)


def best_columns(count: int, tile: QSize, area: QSize) -> int:
    """Columns giving ``count`` tiles of ``tile`` px the largest scale in ``area``."""

    def scale(columns: int) -> float:
        rows = -(-count // columns)
        return min(
            area.width() / (columns * (tile.width() + GAP)),
            area.height() / (rows * (tile.height() + GAP)),
        )

    return max(range(1, count + 1), key=scale)


class FeatureMapSheet(QScrollArea):
    """``show_maps`` a page of maps, or ``show_text`` a note in their place."""

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel(text)
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._maps: tuple[np.ndarray, int, int] | None = None  # maps, start, count
        self._sheet: tuple[int, QPixmap] | None = None  # columns, tiled sheet
        self.setWidgetResizable(True)
        self.setWidget(self.label)

    def show_text(self, text: str) -> None:
        self.forget()
        self.label.setText(text)

    def show_maps(self, maps: np.ndarray, start: int, count: int) -> None:
        """Channels ``start .. start+count`` of HxWxC ``maps``, one tile each."""
        self._maps, self._sheet = (maps, start, count), None
        self._fit()

    def forget(self) -> None:
        """Stop refitting the shown maps (they belong to a model now gone)."""
        self._maps = self._sheet = None

    def _fit(self) -> None:
        """Tile for the viewport's shape, then scale to fill it (at most 8x)."""
        if self._maps is None:
            return
        from core.inference.insight import tile_maps

        maps, start, count = self._maps
        h, w = maps.shape[:2]
        area = self.viewport().size() - QSize(MARGIN, MARGIN)
        columns = best_columns(count, QSize(w, h), area)
        if self._sheet is None or self._sheet[0] != columns:
            tiled = tile_maps(maps, start, count, columns, GAP)
            self._sheet = columns, QPixmap.fromImage(to_qimage(tiled))
        sheet = self._sheet[1]
        fit = min(area.width() / sheet.width(), area.height() / sheet.height())
        scale = max(0.25, min(8.0, fit))
        mode = (
            Qt.TransformationMode.FastTransformation  # crisp pixels when enlarged
            if scale >= 1
            else Qt.TransformationMode.SmoothTransformation
        )
        self.label.setPixmap(
            sheet.scaled(
                int(sheet.width() * scale),
                int(sheet.height() * scale),
                Qt.AspectRatioMode.KeepAspectRatio,
                mode,
            )
        )

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit()
