"""Tiling: many small images as one sheet, for grids shown as a single pixmap.

The augmentation preview and the Insight tab's feature maps both draw grids
of hundreds of small images; one pixmap paints far faster than a widget per
image. One function for both, so the gap and layout rules stay the same. Pure
NumPy, no Qt.

Example:
    >>> tile(np.zeros((6, 4, 4), np.uint8), columns=3, gap=1).shape
    (9, 14)
"""

from __future__ import annotations

import math

import numpy as np


def tile(images: np.ndarray, columns: int, gap: int = 1, fill: int = 255) -> np.ndarray:
    """``images`` (N x H x W, or N x H x W x C) in rows of ``columns``, as uint8.

    ``gap`` pixels of ``fill`` separate neighbours; the last row may be part
    filled. Values are cast to uint8 as they are (scale them first).
    """
    count, h, w = images.shape[:3]
    columns = max(1, columns)
    rows = max(1, math.ceil(count / columns))
    shape = (rows * (h + gap) - gap, columns * (w + gap) - gap, *images.shape[3:])
    sheet = np.full(shape, fill, np.uint8)
    for i in range(count):
        r, c = divmod(i, columns)
        top, left = r * (h + gap), c * (w + gap)
        sheet[top : top + h, left : left + w] = images[i]
    return sheet
