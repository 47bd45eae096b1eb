"""How the report names an image: as the exclusion list does, never by split index.

A file is named by its path below the data's folder, an image held in an
array (MNIST, generated shapes) by its place in the array it was read from
(``train/17``), which carving the splits again does not move; with each, a
digest of its content, so a file replaced under the same name is seen to be
another image. ``core.data.dataset.Dataset.identity`` is the one rule: the
report's names are the ones the exclusion list records, so a view can put a
reported image on the list by the name the report gives it.

Example:
    >>> from core.data.load import open_dataset
    >>> from core.data.spec import DatasetSpec
    >>> names = identities(open_dataset(DatasetSpec(name="shapes", count=60)), "test")
    >>> names[0][0].startswith("train/"), len(names[0][1])  # carved out of train
    (True, 16)
"""

from __future__ import annotations

from core.data.dataset import Dataset
from core.recipe.exclusions import relative_key

UNREADABLE = "unreadable"  # the digest of a file that cannot be read now


def identities(dataset: Dataset, split: str) -> list[tuple[str, str]]:
    """``(name, digest)`` of every image of ``split``, in the split's order."""
    return [_identity(dataset, split, i) for i in range(len(dataset.splits[split]))]


def _identity(dataset: Dataset, split: str, index: int) -> tuple[str, str]:
    try:
        return dataset.identity(split, index)
    except OSError:  # named all the same: the report says it could not be read
        paths = dataset.splits[split].paths or []
        assert dataset.root is not None
        return relative_key(paths[index], dataset.root), UNREADABLE
