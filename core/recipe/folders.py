"""The layout of a folder dataset: which folders are splits, classes and images.

One folder per class, or ``train/`` (and ``validation/``, ``test/``; ``val/``
and ``valid/`` also count) each holding one folder per class. The app's scan
(``core.data.scan``) and an exported script list a folder with these rules, so
they find the same images in the same order.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from .images import is_image_name
from .split import SPLITS

ALIASES = {"val": "validation", "valid": "validation"}


def split_folders(base: Path) -> dict[str, Path]:
    """``{split: folder}`` when ``base`` holds ``train/``, else ``{"all": base}``."""
    subdirs = {d.name.lower(): d for d in base.iterdir() if d.is_dir()}
    named = {ALIASES.get(k, k): v for k, v in subdirs.items()}
    if "train" in named:
        return {s: named[s] for s in SPLITS if s in named}
    return {"all": base}


def class_folders(folder: Path) -> list[str]:
    """The class folders' names, sorted; a hidden folder is not a class."""
    return sorted(
        d.name for d in folder.iterdir() if d.is_dir() and not d.name.startswith(".")
    )


def list_files(folder: Path, class_names: list[str]) -> Iterator[tuple[str, int]]:
    """``(path, label)`` of each image file under the class folders, sorted.

    Sub-folders of a class count as the class's; hidden ones are skipped.
    """
    for label, name in enumerate(class_names):
        for dirpath, dirnames, filenames in os.walk(folder / name):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for filename in sorted(filenames):
                if is_image_name(filename):
                    yield os.path.join(dirpath, filename), label
