"""Reading a dataset's files offline, for an exported script.

A folder of class folders (the layout rules of ``folders``), the IDX files of
MNIST and Fashion-MNIST, and CIFAR-10 as a folder or its ``.tar.gz`` archive.
The app reads these with more checks and progress (``core.data``); a script
reads the same files in the same order, so the recipe's split picks the same
images in both.
"""

from __future__ import annotations

import gzip
import io
import os
import tarfile
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
from PIL import Image

from .folders import ALIASES, class_folders, list_files, split_folders
from .images import is_image_name, load_image
from .split import SPLITS

Found = dict[str, tuple[np.ndarray, np.ndarray]]


def folder_splits(root: str | os.PathLike[str]) -> tuple[Found, list[str]]:
    """``{split: (paths, labels)}`` of a folder dataset and its class names."""
    return group(folder_entries(Path(root)))


def folder_entries(root: Path) -> Iterator[tuple[str, str, str]]:
    """``(split, class, path)`` of each readable image under ``root``."""
    for split, folder in split_folders(root).items():
        names = class_folders(folder)
        for path, label in list_files(folder, names):
            if readable(path):
                yield "train" if split == "all" else split, names[label], path


def readable(path: str) -> bool:
    """False for what the app's scan leaves out: empty files, non-images."""
    try:
        with Image.open(path):
            return os.path.getsize(path) > 0
    except (OSError, ValueError):  # UnidentifiedImageError is an OSError
        return False


def group(entries: Iterable[tuple[str, str, str]]) -> tuple[Found, list[str]]:
    """``{split: (paths, labels)}`` and the class names (training's, sorted)."""
    entries = list(entries)
    classes = sorted({c for split, c, _ in entries if split == "train"})
    label = {name: i for i, name in enumerate(classes)}
    found = {}
    for split in SPLITS:
        rows = [(p, label[c]) for s, c, p in entries if s == split and c in label]
        if rows:
            paths, labels = zip(*rows, strict=True)
            found[split] = (np.array(paths), np.array(labels, dtype=np.int64))
    return found, classes


def archive_splits(path: str | os.PathLike[str]) -> tuple[Found, list[str]]:
    """``{split: (member names, labels)}`` of a ``.tar.gz`` of class folders
    (``cifar-10-jpg/train/airplane/0000.jpg``), sorted as the unpacked folder."""
    with tarfile.open(path) as tar:
        names = [m.name for m in tar.getmembers() if m.isfile()]
    entries = []
    for name in names:
        parts = name.split("/")
        if len(parts) >= 3 and is_image_name(parts[-1]):
            split = ALIASES.get(parts[-3].lower(), parts[-3].lower())
            entries.append((split if split in SPLITS else "train", parts[-2], name))
    return group(sorted(entries))


def read_archive(
    path: str | os.PathLike[str],
    splits: Found,
    image_size: tuple[int, int],
    channels: int,
) -> Found:
    """Decode the chosen members of each split, in one pass through the archive."""
    wanted = {}
    images = {}
    for split, (names, labels) in splits.items():
        images[split] = np.zeros((len(labels), *image_size, channels), np.uint8)
        wanted.update({name: (split, i) for i, name in enumerate(names)})
    with tarfile.open(path) as tar:
        for member in tar:
            if member.name in wanted:
                split, i = wanted[member.name]
                data = tar.extractfile(member).read()
                images[split][i] = load_image(io.BytesIO(data), image_size, channels)
    return {split: (images[split], y) for split, (_, y) in splits.items()}


def read_idx(path: Path, offset: int) -> np.ndarray:
    """The IDX layout: a header of ``offset`` bytes, then one byte per value."""
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset)


def idx_splits(folders: list[str], files: list[str]) -> Found | None:
    """Train and test ``(images, labels)`` from the first folder holding all four
    IDX ``files`` (train images, train labels, test images, test labels);
    None when no folder has them.

    Raises:
        ValueError: a folder's images and labels do not match.
    """
    found = [Path(d) for d in folders if all((Path(d) / f).is_file() for f in files)]
    if not found:
        return None
    paths = [found[0] / f for f in files]
    x, xt = (read_idx(p, 16).reshape(-1, 28, 28, 1) for p in paths[::2])
    y, yt = (read_idx(p, 8).astype(np.int64) for p in paths[1::2])
    if len(x) != len(y) or len(xt) != len(yt):
        raise ValueError(f"{found[0]}: images and labels do not match")
    return {"train": (x, y), "test": (xt, yt)}
