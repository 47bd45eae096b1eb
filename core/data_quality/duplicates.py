"""Which pairs of images are the same picture: candidates, then the pixel rule.

Two searches propose pairs (``core.data_quality.neighbours``, a block at a
time): each image's ``NEIGHBOURS`` nearest in the model's penultimate-layer
embedding space (what the model finds alike), and every pair whose 8x8
thumbnails are within ``RADIUS`` grey levels (what the pixels find alike;
this one alone sees every pair the rule can accept, even when a well-trained
model has drawn a whole class into one point). The embeddings are class-level,
so they never decide: the pixel rule does.

The rule (calibrated on Fashion-MNIST, docs/data-quality.md): a pair is a
copy when its **copy score**, the hashes' differing bits plus
``PIXEL_WEIGHT`` times the thumbnails' pixel distance, is at most
``COPY_SCORE``. Resized, JPEG-75/50 re-encoded and shrunk copies of 2,000
Fashion-MNIST images scored at most 18 in all but 1 or 2 of each 2,000 (flat,
nearly blank images whose hash bits are noise); 10,000 distinct Fashion-MNIST
training images gave 4 pairs at or under 18 (two of them identical in hash:
likely true near-duplicates). The hash alone (4 bits) and the pixel distance
alone (5 grey levels) each let in far more distinct look-alikes.

Example:
    >>> hashes = np.array([1, 1, 2**40], np.uint64)
    >>> thumbs = np.zeros((3, 64), np.float32); thumbs[2] += np.arange(64) - 31.5
    >>> [(p.first, p.second, p.hash_bits) for p in find_pairs(hashes, thumbs)]
    [(0, 1, 0)]
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from core.data_quality.neighbours import nearest, within
from core.data_quality.pixel_hash import THUMB_SIDE, hamming, pixel_distance

PIXEL_WEIGHT = 2.5  # a grey level of thumbnail distance costs 2.5 hash bits
COPY_SCORE = 18.0  # the most a copy scored (module docstring)
RADIUS = COPY_SCORE / PIXEL_WEIGHT  # no pair farther apart can score under it
NEIGHBOURS = 5  # embedding neighbours proposed per image
PROJECTED = 128  # wider embeddings are searched through a random projection

Tick = Callable[[float], None]


@dataclass(frozen=True)
class Candidate:
    """A pair the rule accepted, by position in the arrays searched."""

    first: int
    second: int
    hash_bits: int  # bits in which the perceptual hashes differ (of 64)
    pixel_distance: float  # RMS difference of the 8x8 thumbnails, grey levels
    similarity: float | None  # cosine of the (compact) embeddings; None without

    @property
    def score(self) -> float:
        return copy_score(self.hash_bits, self.pixel_distance)


def copy_score(hash_bits: float | np.ndarray, distance: float | np.ndarray):
    """The rule's number: at most ``COPY_SCORE`` is a copy."""
    return hash_bits + PIXEL_WEIGHT * distance


def find_pairs(
    hashes: np.ndarray,
    thumbs: np.ndarray,
    embeddings: np.ndarray | None = None,
    tick: Tick | None = None,
) -> list[Candidate]:
    """The pairs of images (by row) that the rule calls copies, best first.

    ``hashes`` and ``thumbs`` come from ``pixel_hash.signatures``;
    ``embeddings`` (optional) are the model's, one row per image.
    """
    n = len(hashes)
    if n < 2:
        return []
    share = 0.5 if embeddings is not None else 1.0
    # The thumbnails' Euclidean norm is the pixel distance times their side.
    pairs = [within(thumbs, RADIUS * THUMB_SIDE, tick=_part(tick, 0.0, share))]
    unit = None
    if embeddings is not None:
        unit = compact(embeddings)
        near, _ = nearest(unit, NEIGHBOURS, tick=_part(tick, share, 1.0))
        rows = np.repeat(np.arange(n), near.shape[1])
        pairs.append(np.stack([rows, near.ravel()], axis=1))
    both = np.concatenate(pairs)
    both = np.unique(np.sort(both, axis=1), axis=0)
    first, second = both[:, 0], both[:, 1]
    bits = hamming(hashes[first], hashes[second])
    distance = pixel_distance(thumbs[first], thumbs[second])
    keep = copy_score(bits, distance) <= COPY_SCORE
    similar = (
        np.einsum("ij,ij->i", unit[first[keep]], unit[second[keep]])
        if unit is not None
        else [None] * int(keep.sum())
    )
    found = [
        Candidate(int(a), int(b), int(h), float(d), None if s is None else float(s))
        for a, b, h, d, s in zip(
            first[keep], second[keep], bits[keep], distance[keep], similar, strict=True
        )
    ]
    return sorted(found, key=lambda c: (c.score, c.first, c.second))


def compact(embeddings: np.ndarray) -> np.ndarray:
    """Embeddings as the search keeps them: unit rows, at most ``PROJECTED`` wide.

    Applied a batch at a time during the forward pass, so 60,000 images of a
    2,048-wide backbone hold 31 MB rather than 491 MB; the similarity a pair
    reports is then the cosine of the projected embeddings (128 random
    directions keep distances to about a tenth).
    """
    return _unit(_projected(_unit(embeddings)))


def _unit(embeddings: np.ndarray) -> np.ndarray:
    flat = np.asarray(embeddings, np.float32).reshape(len(embeddings), -1)
    norms = np.linalg.norm(flat, axis=1, keepdims=True)
    return flat / np.where(norms > 0, norms, 1.0)


def _projected(unit: np.ndarray) -> np.ndarray:
    """A seeded Gaussian projection to ``PROJECTED`` columns (Johnson-Lindenstrauss),
    so a 2,048-wide backbone's search costs what a small model's does."""
    if unit.shape[1] <= PROJECTED:
        return unit
    return unit @ _projection(unit.shape[1])


@functools.lru_cache(maxsize=4)
def _projection(width: int) -> np.ndarray:
    """The same matrix for every batch of a pass (seeded)."""
    rng = np.random.default_rng(0)
    matrix = rng.standard_normal((width, PROJECTED)).astype(np.float32)
    return matrix / np.sqrt(PROJECTED)


def _part(tick: Tick | None, start: float, end: float) -> Tick | None:
    """``tick`` for one search of two: its fraction mapped into [start, end]."""
    if tick is None:
        return None
    return lambda fraction: tick(start + (end - start) * fraction)
