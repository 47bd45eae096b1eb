"""The exclusion list: images left out or given another label, without touching them.

An entry names an image by its path relative to the dataset's folder (``/``
between parts), or, for images read into arrays (MNIST, generated shapes),
by ``<split>/<index>`` in the array it was read from, never by its place in a
carved split, which moves with the seed. It holds a digest of the content
when it was listed: an image changed since is kept as given, with a warning
line, rather than left out unseen. The app (``core.data.load``) and an exported
script apply a list with these functions, so both train on the same images.

The list is applied after the split is carved from the labels as given, so
listing an image never moves another one between train, validation and test.
"""

from __future__ import annotations

import hashlib
import os
import tarfile
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

EXCLUDED = -1  # the label of an image the list leaves out
EXCLUDE = "exclude"  # the action of an entry that leaves its image out

Entry = tuple[str, str, str]  # (path, digest, "exclude" or the new class name)
Found = dict[str, tuple[Sequence, np.ndarray]]  # split -> (paths or images, labels)


def content_digest(data: bytes) -> str:
    """What an entry records of its image: the first 16 hex digits of SHA-256."""
    return hashlib.sha256(data).hexdigest()[:16]


def file_digest(path: str | os.PathLike[str]) -> str | None:
    """The digest of a file's bytes; None when it cannot be read."""
    try:
        with open(path, "rb") as f:
            return content_digest(f.read())
    except OSError:
        return None


def relative_key(path: str | os.PathLike[str], root: str | os.PathLike[str]) -> str:
    """``path`` below ``root`` with ``/`` between parts, as an entry names it."""
    return Path(path).relative_to(root).as_posix()


def listed_labels(
    found: Found,
    classes: Sequence[str],
    entries: Iterable[Entry],
    root: str | os.PathLike[str] | None = None,
    keys: dict[str, Sequence[str]] | None = None,
) -> tuple[dict[str, np.ndarray], list[str]]:
    """Each image's label once the list is applied, and why entries were not.

    ``found`` holds each split as read (before any carving): file paths below
    ``root``; member names of the ``.tar.gz`` archive ``root`` (the app names
    its files below the folder it unpacks, so the archive's top folder is
    dropped); or an array of images; or, with ``keys`` naming each array's
    images, splits already carved. Returns, per split, the labels with
    ``EXCLUDED`` for the images left out, and one line per entry not applied
    (its image is gone, changed since it was listed, or the class is unknown).

    Example:
        >>> images = np.zeros((2, 1, 1, 1), np.uint8)
        >>> entry = ("train/1", content_digest(images[1].tobytes()), "exclude")
        >>> labels, lines = listed_labels({"train": (images, np.array([0, 1]))},
        ...                               ["a", "b"], [entry])
        >>> labels["train"].tolist(), lines
        ([0, -1], [])
    """
    out = {
        split: np.array(labels, dtype=np.int64) for split, (_, labels) in found.items()
    }
    entries = list(entries)
    archived = None
    if root is not None and Path(root).is_file():
        keys = {s: [_below_top(n) for n in names] for s, (names, _) in found.items()}
        archived = _archive_digests(root, {path for path, _, _ in entries})
    where = _places(found, root, keys or {})
    lines = []
    for path, digest, action in entries:
        place = where(path)
        if place is None:
            lines.append(f"{path} is listed but not in the data (moved or deleted?)")
            continue
        split, index = place
        now = _digest(found[split][0], index) if archived is None else archived[path]
        if now != digest:
            lines.append(
                f"{path} changed since it was listed: kept as given, not "
                + ("excluded" if action == EXCLUDE else f"relabelled {action!r}")
            )
            continue
        if action == EXCLUDE:
            out[split][index] = EXCLUDED
        elif action in classes:
            out[split][index] = list(classes).index(action)
        else:
            lines.append(
                f"{path}: {action!r} is not a class of the data: not relabelled"
            )
    return out, lines


def kept(labels: np.ndarray) -> np.ndarray:
    """The indices of the images a list's labels keep."""
    return np.nonzero(np.asarray(labels) != EXCLUDED)[0]


def _places(
    found: Found, root: str | os.PathLike[str] | None, keys: dict[str, Sequence[str]]
):
    """A lookup from an entry's path to ``(split, index)`` in ``found``."""
    keyed: dict[str, tuple[str, int]] = {}
    for split, (items, _) in found.items():
        if split in keys:
            keyed.update((key, (split, i)) for i, key in enumerate(keys[split]))
        elif not _is_array_of_images(items):
            assert root is not None, "files are named relative to their folder"
            for i, path in enumerate(items):
                keyed[relative_key(str(path), root)] = (split, i)

    def where(path: str) -> tuple[str, int] | None:
        if path in keyed:
            return keyed[path]
        split, _, number = path.rpartition("/")
        arrays = split in found and _is_array_of_images(found[split][0])
        if arrays and split not in keys and number.isdigit():
            index = int(number)
            return (split, index) if index < len(found[split][1]) else None
        return None

    return where


def _is_array_of_images(items: Sequence) -> bool:
    return isinstance(items, np.ndarray) and items.dtype == np.uint8


def _digest(items: Sequence, index: int) -> str | None:
    if _is_array_of_images(items):
        return content_digest(np.ascontiguousarray(items[index]).tobytes())
    return file_digest(str(items[index]))


def _below_top(member: str) -> str:
    """An archive member's name as the unpacked folder's file is named."""
    return member.partition("/")[2]


def _archive_digests(
    archive: str | os.PathLike[str], paths: set[str]
) -> dict[str, str | None]:
    """The digests of the listed members, in one pass through the archive."""
    found: dict[str, str | None] = dict.fromkeys(paths)
    with tarfile.open(archive) as tar:
        for member in tar:
            key = _below_top(member.name)
            if member.isfile() and key in found:
                found[key] = content_digest(tar.extractfile(member).read())
    return found
