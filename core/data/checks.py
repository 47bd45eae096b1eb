"""What is worth a warning about a loaded dataset before anyone trains on it.

A 10,000 : 3 class imbalance gave the small class no validation and no test
image, and the run reported "test accuracy 1.0000" without a word: the figure
was true of the other class only. These warnings say so where the data is
shown (the Data page, ``dataset-info``) and where it is used (``train``), with
the notes the loaders left (local files that are not the official ones).

Example:
    >>> import numpy as np
    >>> from core.data.dataset import Split
    >>> ds = Dataset("d", ["big", "rare"], {
    ...     "train": Split(np.array([0] * 40 + [1])),
    ...     "validation": Split(np.array([0] * 5)),
    ...     "test": Split(np.array([0] * 5))})
    >>> for line in dataset_warnings(ds):  # doctest: +ELLIPSIS
    ...     print(line)
    class 'rare' has no validation and no test images: the validation and test ...
    the classes are strongly imbalanced (40:1 in training, 'big' to 'rare'): ...
"""

from __future__ import annotations

from core.data.dataset import Dataset, imbalance_ratio

# Largest over smallest class in training from which accuracy mostly measures
# the large classes.
STRONG_IMBALANCE = 10.0
_NAMED = 5  # classes named in one warning; the rest are counted


def dataset_warnings(dataset: Dataset) -> list[str]:
    """Loader notes, classes missing from a held-out split, strong imbalance."""
    return [*dataset.notes, *_untested(dataset), *_imbalance(dataset)]


def _untested(dataset: Dataset) -> list[str]:
    """Classes with training images but none in a held-out split that has some."""
    counts = dataset.counts()
    missing: dict[str, list[str]] = {}  # class name -> splits it is missing from
    for split in ("validation", "test"):
        if not sum(counts[split]):
            continue  # no such split at all: nothing is measured there for anyone
        for name, train, held in zip(
            dataset.class_names, counts["train"], counts[split], strict=True
        ):
            if train and not held:
                missing.setdefault(name, []).append(split)
    out = []
    for splits in (["validation", "test"], ["validation"], ["test"]):
        names = [n for n, s in missing.items() if s == splits]
        if names:
            where = " and no ".join(splits)
            figures = " and ".join(splits)
            out.append(
                f"{_classes(names)} no {where} images: the {figures} figures "
                f"say nothing about {'it' if len(names) == 1 else 'them'}"
            )
    return out


def _imbalance(dataset: Dataset) -> list[str]:
    train = dataset.counts()["train"]
    ratio = imbalance_ratio(train)
    if ratio < STRONG_IMBALANCE:
        return []
    present = [(n, c) for n, c in zip(dataset.class_names, train, strict=True) if c]
    big = max(present, key=lambda nc: nc[1])[0]
    small = min(present, key=lambda nc: nc[1])[0]
    return [
        f"the classes are strongly imbalanced ({ratio:,.0f}:1 in training, "
        f"'{big}' to '{small}'): accuracy can be high while '{small}' is never "
        "recognised; balancing classes with class weights helps"
    ]


def _classes(names: list[str]) -> str:
    """``class 'a' has`` or ``classes 'a', 'b' and 3 more have``."""
    shown = ", ".join(f"'{n}'" for n in names[:_NAMED])
    if len(names) > _NAMED:
        shown += f" and {len(names) - _NAMED} more"
    return f"class {shown} has" if len(names) == 1 else f"classes {shown} have"
