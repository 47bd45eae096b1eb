"""What the pixels say about two images: a perceptual hash and a small thumbnail.

The model's penultimate-layer embeddings are class-level: two different
sandals sit as close there as a sandal and its copy. So whether two images
are the same picture is decided here, from the pixels (docs/data-quality.md):

- a 64-bit perceptual hash (pHash): the image in grey at 32x32, its 2-D DCT,
  the 8x8 lowest frequencies, one bit per coefficient above their median.
  Resizing, re-encoding and small brightness changes move few bits;
- an 8x8 grey thumbnail less its mean, whose root-mean-square difference
  (in 0-255 grey levels) is the pixel distance: brightness-neutral, coarse
  enough that a resized copy's blur barely moves it (at most 6.5 grey levels
  in 2,000 Fashion-MNIST images resized 28-32-28), while two distinct
  garments of one class mostly differ by tens.

Everything is numpy on batches (Pillow resizes), so it runs beside the model's
forward pass on the images the model saw, at the model's input size.

Example:
    >>> images = np.zeros((2, 28, 28, 1), np.uint8)
    >>> hashes, thumbs = signatures(images)
    >>> hashes.dtype, thumbs.shape, int(hamming(hashes[0], hashes[1:])[0])
    (dtype('uint64'), (2, 64), 0)
"""

from __future__ import annotations

import functools
import math

import numpy as np
from PIL import Image

HASH_SIDE = 32  # the grey image the DCT is taken of
LOW = 8  # the lowest LOW x LOW frequencies: a 64-bit hash
THUMB_SIDE = 8  # the thumbnail the pixel distance compares


def _dct_matrix(n: int) -> np.ndarray:
    """The orthonormal DCT-II matrix: ``D @ x @ D.T`` is ``x``'s 2-D DCT."""
    k = np.arange(n)[:, None]
    i = np.arange(n)[None, :]
    matrix = np.cos(math.pi * (2 * i + 1) * k / (2 * n)) * math.sqrt(2 / n)
    matrix[0] /= math.sqrt(2)
    return matrix.astype(np.float32)


_DCT = _dct_matrix(HASH_SIDE)[:LOW]  # only the rows of the frequencies kept


def grey_squares(images: np.ndarray, side: int = HASH_SIDE) -> np.ndarray:
    """``(n, side, side)`` float32 grey levels of NHWC images (0-255)."""
    grey = np.asarray(images, np.float32).mean(axis=-1)
    _, h, w = grey.shape
    if (h, w) == (side, side):
        return grey
    return _resampling(side, h) @ grey @ _resampling(side, w).T


@functools.lru_cache(maxsize=16)
def _resampling(side: int, size: int) -> np.ndarray:
    """``(side, size)``: Pillow's bilinear resize of a row of ``size`` to ``side``.

    Resizing is linear and Pillow's is separable, so resizing each unit
    vector once gives the matrix, and a whole batch resizes in two products
    (a Pillow call per image took 1.5 ms).
    """
    basis = np.eye(size, dtype=np.float32)
    columns = [
        np.asarray(
            Image.fromarray(row[None, :], mode="F").resize(
                (side, 1), Image.Resampling.BILINEAR
            )
        )[0]
        for row in basis
    ]
    return np.stack(columns, axis=1)


def signatures(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per image: its perceptual hash (uint64) and its thumbnail (64 floats)."""
    grey = grey_squares(images)
    low = (_DCT @ grey @ _DCT.T).reshape(len(grey), -1)
    median = np.median(low[:, 1:], axis=1, keepdims=True)  # DC says brightness
    # A flat image's coefficients are rounding noise about zero: a margin keeps
    # its bits (all off) the same in every copy.
    bits = low > median + 1e-3
    hashes = np.packbits(bits, axis=1).view(">u8")[:, 0].astype(np.uint64)
    n, f = len(grey), HASH_SIDE // THUMB_SIDE
    thumbs = grey.reshape(n, THUMB_SIDE, f, THUMB_SIDE, f).mean(axis=(2, 4))
    thumbs = thumbs.reshape(n, -1)
    thumbs -= thumbs.mean(axis=1, keepdims=True)
    return hashes, thumbs.astype(np.float32)


_POPCOUNT = np.array([bin(i).count("1") for i in range(256)], np.uint8)


def hamming(a: np.ndarray | np.uint64, b: np.ndarray) -> np.ndarray:
    """The bits in which hash(es) ``a`` and ``b`` differ (broadcast)."""
    xor = np.bitwise_xor(np.asarray(a, np.uint64), np.asarray(b, np.uint64))
    return _POPCOUNT[xor.reshape(-1, 1).view(np.uint8)].sum(axis=1).reshape(xor.shape)


def pixel_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Root-mean-square difference of thumbnails, in grey levels (rows)."""
    return np.sqrt(np.mean((np.asarray(a) - np.asarray(b)) ** 2, axis=-1))
