"""A small line plot drawn with Pillow (a dependency; matplotlib is not).

Enough for a time-to-accuracy figure in docs/: axes with a few ticks, their
labels, a title and one coloured line per series with a legend.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")
Series = tuple[str, list[tuple[float, float]]]  # (label, [(x, y), ...])


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    step = (high - low) / count or 1.0
    return [low + i * step for i in range(count + 1)]


def line_plot(
    path: Path, title: str, x_label: str, y_label: str, series: list[Series]
) -> Path:
    """Draw ``series`` into a 640x420 PNG at ``path``."""
    width, height, left, right, top, bottom = 640, 420, 70, 20, 40, 60
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    points = [p for _, line in series for p in line] or [(0.0, 0.0), (1.0, 1.0)]
    x_low, x_high = 0.0, max(x for x, _ in points) or 1.0
    y_low, y_high = min(y for _, y in points), max(y for _, y in points)
    if y_high - y_low < 1e-9:
        y_low, y_high = y_low - 1, y_high + 1

    def at(x: float, y: float) -> tuple[float, float]:
        px = left + (x - x_low) / (x_high - x_low) * (width - left - right)
        py = height - bottom - (y - y_low) / (y_high - y_low) * (height - top - bottom)
        return px, py

    draw.rectangle((left, top, width - right, height - bottom), outline="black")
    for x in _ticks(x_low, x_high):
        px, _ = at(x, y_low)
        draw.line((px, height - bottom, px, height - bottom + 5), fill="black")
        draw.text((px - 12, height - bottom + 8), f"{x:.1f}", fill="black")
    for y in _ticks(y_low, y_high):
        _, py = at(x_low, y)
        draw.line((left - 5, py, left, py), fill="black")
        draw.text((left - 50, py - 6), f"{y:.2f}", fill="black")
    draw.text((width // 2 - 60, height - 22), x_label, fill="black")
    draw.text((8, top - 22), y_label, fill="black")
    draw.text((left, 8), title, fill="black")
    for k, (label, line) in enumerate(series):
        colour = COLOURS[k % len(COLOURS)]
        xy = [at(x, y) for x, y in line]
        if len(xy) > 1:
            draw.line(xy, fill=colour, width=2)
        for px, py in xy:
            draw.ellipse((px - 3, py - 3, px + 3, py + 3), fill=colour)
        draw.text((width - right - 110, top + 8 + 14 * k), label, fill=colour)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
    return path
