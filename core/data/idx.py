"""Reading MNIST-style IDX files, checked: a damaged file is named, never reshaped.

A local copy of MNIST or Fashion-MNIST can be cut short by a failed download,
be an HTML error page saved under the right name, or mix files of two sets.
Each file's header is checked against its length, and the four files against
each other, so the user hears which file is wrong instead of a numpy error.
"""

from __future__ import annotations

import gzip
import struct
import zlib
from pathlib import Path

import numpy as np

from core.errors import DatasetError

_UBYTE = 0x08  # the only element type MNIST-style files use


class IdxFileError(DatasetError):
    """An IDX file that is damaged, not IDX, or does not match its partner."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        super().__init__(f"{path.name} in {path.parent} {reason}")


def read_idx(path: Path, rank: int) -> np.ndarray:
    """The uint8 array of a gzipped IDX file of ``rank`` dimensions.

    Raises:
        IdxFileError: not gzip, not IDX, the wrong rank or type, or shorter or
            longer than its header says.
    """
    try:
        with gzip.open(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError, zlib.error) as exc:
        raise IdxFileError(path, f"cannot be read as gzip ({exc})") from None
    if len(data) < 4 or data[:2] != b"\0\0":
        raise IdxFileError(path, "is not an IDX file (wrong magic number)")
    if data[2] != _UBYTE or data[3] != rank:
        kind = "images" if rank == 3 else "labels"
        raise IdxFileError(
            path, f"is not an IDX file of {kind} (type {data[2]}, rank {data[3]})"
        )
    start = 4 + 4 * rank
    if len(data) < start:
        raise IdxFileError(path, "is truncated (header cut short)")
    shape = struct.unpack(f">{rank}I", data[4:start])
    expected = start + int(np.prod(shape))
    if len(data) != expected:
        state = "truncated" if len(data) < expected else "longer than its header says"
        raise IdxFileError(
            path,
            f"is {state}: {len(data) - start:,} bytes of data for shape {shape}",
        )
    return np.frombuffer(data, np.uint8, offset=start).reshape(shape)


def read_idx_pair(
    images_path: Path, labels_path: Path, num_classes: int
) -> tuple[np.ndarray, np.ndarray]:
    """28x28 images ``(N, 28, 28, 1)`` and their int64 labels, checked together.

    Raises:
        IdxFileError: either file is damaged, the images are not 28x28, the
            counts differ (files of different sets), or a label is out of range.
    """
    images = read_idx(images_path, 3)
    labels = read_idx(labels_path, 1)
    if images.shape[1:] != (28, 28):
        h, w = images.shape[1:]
        raise IdxFileError(images_path, f"holds {h}x{w} images, not 28x28")
    if len(images) != len(labels):
        raise IdxFileError(
            labels_path,
            f"has {len(labels):,} labels but {images_path.name} has "
            f"{len(images):,} images: the files are from different sets",
        )
    if labels.size and int(labels.max()) >= num_classes:
        raise IdxFileError(
            labels_path,
            f"has label {int(labels.max())}, but there are only {num_classes} classes",
        )
    return images[..., None], labels.astype(np.int64)
