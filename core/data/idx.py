"""Reading MNIST-style IDX files, checked: a damaged file is named, never reshaped.

A local copy of MNIST or Fashion-MNIST can be cut short by a failed download,
be an HTML error page saved under the right name, or mix files of two sets.
Each file's header is checked against its length, and the two files of a
pair against each other, so the user hears which file is wrong instead of a
numpy error. Headers are checked before any data is read, and the data is
streamed into an array of the declared size: a gzip bomb costs no more memory
than the file it pretends to be.
"""

from __future__ import annotations

import gzip
import hashlib
import math
import struct
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import numpy as np

from core.errors import DatasetError

_UBYTE = 0x08  # the only element type MNIST-style files use
# Deflate expands data at most about 1032:1, so a header that claims more than
# that of its file's size is a lie (or a bomb): refused before any memory is
# set aside. The slack covers the gzip framing of tiny files.
_MAX_RATIO = 1032
_SLACK = 1 << 16
_CHUNK = 1 << 20


class IdxFileError(DatasetError):
    """An IDX file that is damaged, not IDX, or does not match its partner."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        super().__init__(f"{path.name} in {path.parent} {reason}")


def idx_shape(path: Path, rank: int) -> tuple[int, ...]:
    """The shape a gzipped IDX file's header declares, checked; no data read.

    Raises:
        IdxFileError: not gzip, not IDX, the wrong rank or type, a header cut
            short, or more data than the file can hold.
    """
    with _opened(path) as f:
        return _header(f, path, rank, None)


def read_idx(path: Path, rank: int, digest: Any = None) -> np.ndarray:
    """The uint8 array of a gzipped IDX file of ``rank`` dimensions.

    Streamed into an array of the size the header declares: a file that
    decompresses to more (a gzip bomb) is refused one byte past it instead of
    being read whole into memory. ``digest`` (a ``hashlib`` object) is fed the
    decompressed bytes, header included, to compare with published sums.

    Raises:
        IdxFileError: not gzip, not IDX, the wrong rank or type, or shorter or
            longer than its header says.
    """
    with _opened(path) as f:
        shape = _header(f, path, rank, digest)
        try:
            data = np.empty(math.prod(shape), np.uint8)
        except MemoryError:
            raise IdxFileError(
                path, f"declares shape {shape}, more than fits in memory"
            ) from None
        got = _read_into(f, memoryview(data), digest)
        extra = got == data.size and bool(f.read(1))
    if got < data.size or extra:
        state = "longer than its header says" if extra else "truncated"
        shown = f"more than {got:,}" if extra else f"{got:,}"
        raise IdxFileError(path, f"is {state}: {shown} bytes of data for shape {shape}")
    return data.reshape(shape)


@contextmanager
def _opened(path: Path) -> Iterator[IO[bytes]]:
    """The decompressed stream; a gzip error while reading it is named."""
    try:
        with gzip.open(path, "rb") as f:
            yield f
    except (OSError, EOFError, zlib.error) as exc:
        raise IdxFileError(path, f"cannot be read as gzip ({exc})") from None


def _header(f: IO[bytes], path: Path, rank: int, digest: Any) -> tuple[int, ...]:
    magic = f.read(4)
    if len(magic) < 4 or magic[:2] != b"\0\0":
        raise IdxFileError(path, "is not an IDX file (wrong magic number)")
    if magic[2] != _UBYTE or magic[3] != rank:
        kind = "images" if rank == 3 else "labels"
        raise IdxFileError(
            path, f"is not an IDX file of {kind} (type {magic[2]}, rank {magic[3]})"
        )
    dims = f.read(4 * rank)
    if len(dims) < 4 * rank:
        raise IdxFileError(path, "is truncated (header cut short)")
    shape = struct.unpack(f">{rank}I", dims)
    most = path.stat().st_size * _MAX_RATIO + _SLACK
    if math.prod(shape) > most:
        raise IdxFileError(
            path,
            f"declares shape {shape}, more data than a file of "
            f"{path.stat().st_size:,} bytes can hold: damaged or not a dataset",
        )
    if digest is not None:
        digest.update(magic + dims)
    return shape


def _read_into(f: IO[bytes], out: memoryview, digest: Any) -> int:
    """Fill ``out`` from ``f`` a chunk at a time; the number of bytes read."""
    got = 0
    while got < len(out):
        n = f.readinto(out[got : got + _CHUNK])  # type: ignore[attr-defined]
        if not n:
            break
        if digest is not None:
            digest.update(out[got : got + n])
        got += n
    return got


def read_idx_pair(
    images_path: Path,
    labels_path: Path,
    num_classes: int,
    digests: dict[str, str] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """28x28 images ``(N, 28, 28, 1)`` and their int64 labels, checked together.

    Both headers are checked before either file's data is read. ``digests``,
    when given, receives each file's name and the sha256 of its decompressed
    bytes.

    Raises:
        IdxFileError: either file is damaged, the images are not 28x28, the
            counts differ (files of different sets), or a label is out of range.
    """
    shape = idx_shape(images_path, 3)
    (count,) = idx_shape(labels_path, 1)
    if shape[1:] != (28, 28):
        h, w = shape[1:]
        raise IdxFileError(images_path, f"holds {h}x{w} images, not 28x28")
    if shape[0] != count:
        raise IdxFileError(
            labels_path,
            f"has {count:,} labels but {images_path.name} has "
            f"{shape[0]:,} images: the files are from different sets",
        )
    images = _read_hashed(images_path, 3, digests)
    labels = _read_hashed(labels_path, 1, digests)
    if labels.size and int(labels.max()) >= num_classes:
        raise IdxFileError(
            labels_path,
            f"has label {int(labels.max())}, but there are only {num_classes} classes",
        )
    return images[..., None], labels.astype(np.int64)


def _read_hashed(path: Path, rank: int, digests: dict[str, str] | None) -> np.ndarray:
    if digests is None:
        return read_idx(path, rank)
    digest = hashlib.sha256()
    array = read_idx(path, rank, digest)
    digests[path.name] = digest.hexdigest()
    return array
