"""Colour maps and overlays for heatmaps, in numpy (no Qt, no matplotlib).

A 256-entry lookup table per colour map keeps colourising a 224x224 heatmap to
well under a millisecond, so overlays can follow an alpha slider live.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

# Anchor colours, interpolated into 256-entry tables.
_ANCHORS = {
    "jet": [
        (0, 0, 128),
        (0, 0, 255),
        (0, 255, 255),
        (255, 255, 0),
        (255, 0, 0),
        (128, 0, 0),
    ],
    "viridis": [
        (68, 1, 84),
        (59, 82, 139),
        (33, 145, 140),
        (94, 201, 98),
        (253, 231, 37),
    ],
    "inferno": [
        (0, 0, 4),
        (87, 16, 110),
        (188, 55, 84),
        (249, 142, 9),
        (252, 255, 164),
    ],
}
COLORMAPS = tuple(_ANCHORS)


def _table(name: str) -> np.ndarray:
    anchors = np.asarray(_ANCHORS[name], dtype=np.float64)
    positions = np.linspace(0, 1, len(anchors))
    ramp = np.linspace(0, 1, 256)
    return np.stack(
        [np.interp(ramp, positions, anchors[:, k]) for k in range(3)], axis=1
    ).astype(np.uint8)


_TABLES = {name: _table(name) for name in _ANCHORS}


def colorize(heatmap: np.ndarray, colormap: str = "jet") -> np.ndarray:
    """An HxW heatmap in [0, 1] as an HxWx3 uint8 RGB image."""
    if colormap not in _TABLES:
        raise ValueError(
            f"unknown colour map {colormap!r}; known: {', '.join(COLORMAPS)}"
        )
    index = np.clip(np.rint(np.asarray(heatmap) * 255), 0, 255).astype(np.uint8)
    return _TABLES[colormap][index]


def resize_heatmap(heatmap: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Bilinear resize of a float heatmap to ``size`` (height, width)."""
    h, w = size
    im = Image.fromarray(np.asarray(heatmap, dtype=np.float32), mode="F")
    return np.asarray(im.resize((w, h), Image.Resampling.BILINEAR), dtype=np.float32)


def overlay(
    image: np.ndarray, heatmap: np.ndarray, alpha: float = 0.4, colormap: str = "jet"
) -> np.ndarray:
    """Blend a colourised heatmap over ``image`` (uint8 HxW[xC]) at the image's size."""
    if not 0 <= alpha <= 1:
        raise ValueError(f"alpha must be between 0 and 1, not {alpha}")
    base = np.asarray(image)
    if base.ndim == 2:
        base = base[..., None]
    if base.shape[-1] == 1:
        base = np.repeat(base, 3, axis=-1)
    h, w = base.shape[:2]
    if heatmap.shape != (h, w):
        heatmap = resize_heatmap(heatmap, (h, w))
    colours = colorize(np.clip(heatmap, 0, 1), colormap).astype(np.float32)
    blended = base[..., :3].astype(np.float32) * (1 - alpha) + colours * alpha
    return np.clip(np.rint(blended), 0, 255).astype(np.uint8)
