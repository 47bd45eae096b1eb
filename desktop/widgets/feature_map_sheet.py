"""FeatureMapSheet: one tiled sheet of feature maps, as large as the view allows.

A scroll area around a label. The sheet is kept at its own size and scaled to
the viewport on every resize: enlarged with crisp pixels (a 7x7 map is
unreadable when smoothed), shrunk smoothly.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QLabel, QScrollArea, QWidget


class FeatureMapSheet(QScrollArea):
    """``show_pixmap`` a tiled sheet, or ``show_text`` a note in its place."""

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel(text)
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._sheet: QPixmap | None = None
        self.setWidgetResizable(True)
        self.setWidget(self.label)

    def show_text(self, text: str) -> None:
        self._sheet = None
        self.label.setText(text)

    def show_pixmap(self, sheet: QPixmap) -> None:
        self._sheet = sheet
        self._fit()

    def forget(self) -> None:
        """Stop refitting the shown sheet (it belongs to a model now gone)."""
        self._sheet = None

    def _fit(self) -> None:
        """Show the tiled sheet as large as the view allows (at most 8x)."""
        if self._sheet is None:
            return
        area = self.viewport().size()
        fit = min(
            (area.width() - 4) / self._sheet.width(),
            (area.height() - 4) / self._sheet.height(),
        )
        scale = max(0.25, min(8.0, fit))
        mode = (
            Qt.TransformationMode.FastTransformation  # crisp pixels when enlarged
            if scale >= 1
            else Qt.TransformationMode.SmoothTransformation
        )
        self.label.setPixmap(
            self._sheet.scaled(
                int(self._sheet.width() * scale),
                int(self._sheet.height() * scale),
                Qt.AspectRatioMode.KeepAspectRatio,
                mode,
            )
        )

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit()
