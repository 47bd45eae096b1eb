"""How the report names an image: its file relative to the data's folder, and a digest.

Never a split index alone, which moves when the split is carved again: a
file is named by its path below the folder all the dataset's files share
(``/`` between parts), an image held in an array (MNIST, generated shapes)
by ``<split>/<index>``. The digest is the first 16 hex digits of the SHA-256
of the file's bytes (of the pixels, for an array), so a file replaced under
the same name is seen to be another image. The exclusion list records
images by the same two things.

Example:
    >>> from core.data.load import open_dataset
    >>> from core.data.spec import DatasetSpec
    >>> names = identities(open_dataset(DatasetSpec(name="shapes", count=60)), "test")
    >>> names[0][0], len(names[0][1])
    ('test/0', 16)
"""

from __future__ import annotations

import hashlib
import os

from core.data.dataset import Dataset

UNREADABLE = "unreadable"


def identities(dataset: Dataset, split: str) -> list[tuple[str, str]]:
    """``(name, digest)`` of every image of ``split``, in the split's order."""
    part = dataset.splits[split]
    if part.paths is None:
        assert part.images is not None
        return [
            (f"{split}/{i}", _digest(image.tobytes()))
            for i, image in enumerate(part.images)
        ]
    root = data_folder(dataset)
    return [(_relative(path, root), _file_digest(path)) for path in part.paths]


def data_folder(dataset: Dataset) -> str:
    """The folder every file of ``dataset`` is below ('' for images in arrays)."""
    paths = [p for s in dataset.splits.values() for p in (s.paths or [])]
    if not paths:
        return ""
    return os.path.commonpath([os.path.dirname(os.path.abspath(p)) for p in paths])


def _relative(path: str, root: str) -> str:
    return os.path.relpath(os.path.abspath(path), root).replace(os.sep, "/")


def _file_digest(path: str) -> str:
    try:
        with open(path, "rb") as f:
            return _digest(f.read())
    except OSError:
        return UNREADABLE


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]
