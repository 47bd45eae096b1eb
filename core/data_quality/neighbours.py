"""Nearest neighbours among many vectors, a block of rows at a time.

All pairs of 60,000 images are 3.6 billion distances: 14 GB as float32. So the
rows are taken ``CHUNK`` at a time against all the others (256 x 60,000
float32 is 61 MB), and only what is asked for is kept from each block: each
row's ``k`` nearest, or the pairs within a radius. Distances are Euclidean,
from ``|a|^2 + |b|^2 - 2ab`` (one matrix product per block); callers that
decide on a pair measure it again exactly.

``tick(fraction)`` is called after every block: a report's progress, and
where its cancel is honoured (the callback raises).

Example:
    >>> v = np.array([[0.0, 0.0], [0.0, 0.1], [5.0, 5.0]], np.float32)
    >>> within(v, 0.5).tolist()
    [[0, 1]]
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

CHUNK = 256

Tick = Callable[[float], None]


def _blocks(vectors: np.ndarray, chunk: int, tick: Tick | None):
    """``(start, squared distances of rows start.. to every row)``, self at inf."""
    v = np.asarray(vectors, np.float32)
    norms = np.einsum("ij,ij->i", v, v)
    n = len(v)
    for start in range(0, n, chunk):
        rows = v[start : start + chunk]
        d2 = norms[start : start + chunk, None] + norms[None, :] - 2 * (rows @ v.T)
        np.maximum(d2, 0, out=d2)
        span = np.arange(len(rows))
        d2[span, start + span] = np.inf
        yield start, d2
        if tick is not None:
            tick(min(1.0, (start + len(rows)) / n))


def nearest(
    vectors: np.ndarray, k: int, chunk: int = CHUNK, tick: Tick | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Each row's ``k`` nearest other rows: ``(indices, distances)``, both (n, k),
    nearest first (fewer columns when there are fewer other rows)."""
    n = len(vectors)
    k = max(0, min(k, n - 1))
    indices = np.zeros((n, k), np.int64)
    distances = np.zeros((n, k), np.float32)
    if k == 0:
        return indices, distances
    for start, d2 in _blocks(vectors, chunk, tick):
        part = np.argpartition(d2, k - 1, axis=1)[:, :k]
        near = np.take_along_axis(d2, part, axis=1)
        order = np.argsort(near, axis=1)
        end = start + len(d2)
        indices[start:end] = np.take_along_axis(part, order, axis=1)
        distances[start:end] = np.sqrt(np.take_along_axis(near, order, axis=1))
    return indices, distances


def within(
    vectors: np.ndarray, radius: float, chunk: int = CHUNK, tick: Tick | None = None
) -> np.ndarray:
    """Every pair ``[i, j]`` (i < j) of rows at most ``radius`` apart, (m, 2)."""
    found = []
    limit = np.float32(radius) ** 2
    for start, d2 in _blocks(vectors, chunk, tick):
        rows, cols = np.nonzero(d2 <= limit)
        rows = rows + start
        keep = rows < cols
        found.append(np.stack([rows[keep], cols[keep]], axis=1))
    return np.concatenate(found) if found else np.zeros((0, 2), np.int64)
