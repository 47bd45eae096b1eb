"""The built-in ``shapes`` dataset: generated from a seed, no download, no files.

It is the app's first-start default and the test-suite's data, so it must be
quick (vectorised numpy, the per-pixel work in pieces of ``PIECE`` images: the
first start's 8,000 64x64 images took 10 CPU-seconds and 0.67 GB at most on a
2-core AMD EPYC without AVX-512, against 15 and 1.3 GB as whole arrays) and
byte-identical for a seed on any machine (only ``numpy.random.Generator``).
It is made hard enough that logistic regression on pixels fails but a small CNN
succeeds: position, size, rotation, colours, a background gradient, outline-only
shapes, distractor strokes and noise vary independently of the class, so only
the outline's geometry tells the classes apart.

Every shape is star-shaped around its centre, so one renderer serves all: a
polygon given by (angle, radius) vertices, tested in polar coordinates.

Example:
    >>> images, labels = generate(12, seed=1)
    >>> images.shape, images.dtype, labels[:6].tolist()
    ((12, 64, 64, 3), dtype('uint8'), [0, 1, 2, 3, 4, 5])
"""

from __future__ import annotations

import numpy as np

PIECE = 256  # images per piece of the per-pixel work (``_pieces``)
CLASS_NAMES: tuple[str, ...] = (
    "circle",
    "square",
    "triangle",
    "star",
    "cross",
    "hexagon",
)


def _regular(n: int, phase: float = 0.0) -> np.ndarray:
    angles = phase + np.arange(n) * 2 * np.pi / n
    return np.stack([angles, np.ones(n)], axis=1)


def _star(points: int, inner: float) -> np.ndarray:
    angles = np.arange(2 * points) * np.pi / points
    radii = np.where(np.arange(2 * points) % 2 == 0, 1.0, inner)
    return np.stack([angles, radii], axis=1)


def _cross(arm: float) -> np.ndarray:
    """A plus sign of half-width ``arm`` (12 vertices, star-shaped about 0)."""
    corners = []
    for k in range(4):
        base = k * np.pi / 2
        tip = np.hypot(1.0, arm)
        corners += [
            (base - np.arctan2(arm, 1.0), tip),
            (base + np.arctan2(arm, 1.0), tip),
            (base + np.pi / 4, arm * np.sqrt(2)),
        ]
    return np.array(corners)


# Vertices as (angle, radius) with radius 1 at the outermost point; a circle is
# a 64-gon, which is exact at these image sizes.
_POLYGONS: tuple[np.ndarray, ...] = (
    _regular(64),
    _regular(4, np.pi / 4) * [1, 1],
    _regular(3, np.pi / 2),
    _star(5, 0.45),
    _cross(0.32),
    _regular(6),
)


def generate(
    count: int, seed: int = 0, size: int = 64
) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``count`` images with balanced labels (round-robin over classes).

    Args:
        count: number of images, at least 1.
        seed: the same seed gives byte-identical images everywhere.
        size: side length in pixels, at least 16.

    Returns:
        ``(images, labels)``: uint8 ``(count, size, size, 3)`` and int64 ``(count,)``.
    """
    if count < 1:
        raise ValueError(f"count must be at least 1, not {count}")
    if size < 16:
        raise ValueError(f"size must be at least 16 pixels, not {size}")
    rng = np.random.Generator(np.random.PCG64(seed))
    labels = np.arange(count, dtype=np.int64) % len(CLASS_NAMES)
    images, mean_bg = _backgrounds(rng, count, size)
    fg = np.empty((count, 3), dtype=np.float32)
    alpha = np.zeros((count, size, size), dtype=np.float32)
    radius = (rng.uniform(0.2, 0.38, count) * size).astype(np.float32)
    margin = radius * 1.05
    cx = rng.uniform(margin, size - margin)
    cy = rng.uniform(margin, size - margin)
    rotation = rng.uniform(0, 2 * np.pi, count).astype(np.float32)
    hollow = rng.random(count) < 0.2
    for i in range(count):
        fg[i] = _contrasting(rng, mean_bg[i])
    for cls, polygon in enumerate(_POLYGONS):
        for idx in _pieces(np.nonzero(labels == cls)[0]):
            alpha[idx] = _render(
                polygon, size, cx[idx], cy[idx], radius[idx], rotation[idx], hollow[idx]
            )
    for p in _slices(count):
        images[p] += (fg[p, None, None, :] - images[p]) * alpha[p, ..., None]
    _distractors(rng, images, size)
    sigma = rng.uniform(4, 18, (count, 1, 1, 1)).astype(np.float32)
    # Luminance noise (one channel, broadcast): a third of the random numbers.
    # Drawn piece by piece, the stream is the one a single draw gives.
    for p in _slices(count):
        shape = (len(sigma[p]), size, size, 1)
        images[p] += rng.standard_normal(shape, dtype=np.float32) * sigma[p]
    np.clip(images, 0, 255, out=images)
    np.rint(images, out=images)
    return images.astype(np.uint8), labels


def _pieces(indices: np.ndarray) -> list[np.ndarray]:
    """``indices`` cut into runs of ``PIECE``, for per-pixel work one piece at a time.

    Whole-batch temporaries of 8,000 64x64 images reached 1.3 GB, and faulting
    their pages in was two thirds of the time; every image is computed alone,
    so the pieces give the same bytes.
    """
    return [indices[i : i + PIECE] for i in range(0, indices.size, PIECE)]


def _slices(count: int) -> list[slice]:
    """``_pieces`` of all ``count`` images in order, as views (no copies)."""
    return [slice(i, i + PIECE) for i in range(0, count, PIECE)]


def _backgrounds(
    rng: np.random.Generator, count: int, size: int
) -> tuple[np.ndarray, np.ndarray]:
    """A linear gradient between two random colours in a random direction.

    Returns the float32 images and each one's mean colour.
    """
    c0 = rng.uniform(0, 255, (count, 3)).astype(np.float32)
    c1 = np.clip(c0 + rng.normal(0, 50, (count, 3)), 0, 255).astype(np.float32)
    theta = rng.uniform(0, 2 * np.pi, count).astype(np.float32)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / (size - 1) - 0.5
    images = np.empty((count, size, size, 3), dtype=np.float32)
    for p in _slices(count):
        t = (
            xx[None] * np.cos(theta[p])[:, None, None]
            + yy[None] * np.sin(theta[p])[:, None, None]
        )
        t = (t + 0.71) / 1.42
        images[p] = c0[p, None, None, :] + (c1 - c0)[p, None, None, :] * t[..., None]
    return images, (c0 + c1) / 2


def _contrasting(rng: np.random.Generator, background: np.ndarray) -> np.ndarray:
    """A random colour far enough from the background to be seen."""
    for _ in range(20):
        colour = rng.uniform(0, 255, 3)
        if np.linalg.norm(colour - background) > 110:
            return colour
    return 255.0 - background


def _render(
    polygon: np.ndarray,
    size: int,
    cx: np.ndarray,
    cy: np.ndarray,
    radius: np.ndarray,
    rotation: np.ndarray,
    hollow: np.ndarray,
) -> np.ndarray:
    """Anti-aliased coverage in [0, 1] of one polygon kind for a batch of images."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) + 0.5
    dx = xx[None] - cx[:, None, None]
    dy = yy[None] - cy[:, None, None]
    rho = np.hypot(dx, dy)
    phi = np.mod(np.arctan2(dy, dx) - rotation[:, None, None], 2 * np.pi)
    angles = np.mod(polygon[:, 0], 2 * np.pi)
    order = np.argsort(angles)
    a = angles[order]
    r = polygon[order, 1]
    a_next = np.append(a[1:], a[0] + 2 * np.pi)
    r_next = np.append(r[1:], r[0])
    seg = np.searchsorted(a, phi, side="right") - 1
    phi_u = np.where(seg < 0, phi + 2 * np.pi, phi)
    seg = np.mod(seg, len(a))
    a1, a2, r1, r2 = a[seg], a_next[seg], r[seg], r_next[seg]
    a1 = np.where(phi_u < a1, a1 - 2 * np.pi, a1)
    a2 = np.where(a2 < a1, a2 + 2 * np.pi, a2)
    # Distance from the centre to the edge between two vertices, along phi.
    edge = (
        r1 * r2 * np.sin(a2 - a1) / (r1 * np.sin(phi_u - a1) + r2 * np.sin(a2 - phi_u))
    )
    boundary = edge * radius[:, None, None]
    outer = np.clip(boundary - rho + 0.5, 0, 1)
    inner = np.clip(boundary * 0.62 - rho + 0.5, 0, 1)
    return np.where(hollow[:, None, None], outer - inner, outer).astype(np.float32)


def _distractors(rng: np.random.Generator, images: np.ndarray, size: int) -> None:
    """Paint up to two thin random strokes per image, so "any edge" is not a cue.

    Strokes are drawn by sampling points along each segment: far cheaper than a
    per-pixel distance test over every image.
    """
    count = images.shape[0]
    steps = np.linspace(-0.5, 0.5, 2 * size, dtype=np.float32)
    for _ in range(2):
        n = np.nonzero(rng.random(count) < 0.6)[0]
        p = rng.uniform(0, size, (n.size, 2)).astype(np.float32)
        theta = rng.uniform(0, np.pi, n.size).astype(np.float32)
        length = rng.uniform(0.1, 0.3, n.size).astype(np.float32) * size
        colour = rng.uniform(0, 255, (n.size, 3)).astype(np.float32)
        t = steps[None, :] * length[:, None]
        x = np.rint(p[:, :1] + t * np.cos(theta)[:, None]).astype(np.intp)
        y = np.rint(p[:, 1:] + t * np.sin(theta)[:, None]).astype(np.intp)
        inside = (x >= 0) & (x < size) & (y >= 0) & (y < size)
        rows = np.broadcast_to(np.arange(n.size)[:, None], x.shape)[inside]
        images[n[rows], y[inside], x[inside]] = colour[rows]
