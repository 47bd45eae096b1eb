"""open_dataset: from a DatasetSpec to a Dataset with train/validation/test splits.

Splits are stratified and seeded, so the same spec always gives the same
split. Existing ``validation/`` and ``test/`` folders (or a built-in's official
test set) are used as they are; what is missing is carved out of training.

Example:
    >>> ds = open_dataset(DatasetSpec(name="shapes", count=60))
    >>> {k: len(v) for k, v in ds.splits.items()}
    {'train': 48, 'validation': 6, 'test': 6}
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np

from core.data import shapes
from core.data.builtin import CLASS_NAMES, IDX_NAMES, cifar10_source, load_idx
from core.data.dataset import Dataset, Split
from core.data.exclusions import Exclusions
from core.data.scan import FolderScan, scan_folder, undecodable, verify_images
from core.data.spec import DatasetSpec
from core.errors import DatasetError
from core.recipe.exclusions import kept, listed_labels
from core.recipe.split import SPLITS, carve

Progress = Callable[[float, str], None]


def open_dataset(
    spec: DatasetSpec,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    verify: bool = False,
) -> Dataset:
    """Load (or scan) the data ``spec`` names and split it.

    ``verify`` decodes every file of a folder dataset (slow, all cores) instead
    of trusting the header scan.

    Raises:
        DatasetError: missing data, a failed download, or an unusable folder.
    """
    if spec.kind == "folder":
        assert spec.path is not None
        return _from_scan(
            spec.title, _scan(Path(spec.path), progress, cancel, verify), spec
        )
    if spec.name == "shapes":
        try:
            x, y = shapes.generate(spec.count, spec.seed)
        except MemoryError:
            raise DatasetError(
                f"not enough memory to generate {spec.count:,} shapes images: "
                "ask for fewer"
            ) from None
        return _from_arrays("shapes", list(shapes.CLASS_NAMES), x, y, None, None, spec)
    if spec.name in IDX_NAMES:
        notes: list[str] = []
        x, y, xt, yt = load_idx(spec.name, spec.path, progress, cancel, notes)
        names = list(CLASS_NAMES[spec.name])
        dataset = _from_arrays(spec.name, names, x, y, xt, yt, spec)
        dataset.notes.extend(notes)
        return dataset
    source = cifar10_source(spec.path, progress, cancel)
    if isinstance(source, Path):
        return _from_scan("cifar10", _scan(source, progress, cancel, verify), spec)
    x, y, xt, yt = source
    return _from_arrays("cifar10", list(CLASS_NAMES["cifar10"]), x, y, xt, yt, spec)


def _scan(
    root: Path, progress: Progress | None, cancel: threading.Event | None, verify: bool
) -> FolderScan:
    if not root.exists():
        raise DatasetError(
            f"{root} does not exist (moved or deleted?): choose its new location"
        )
    scan = scan_folder(root, progress, cancel)
    return verify_images(scan, progress, cancel) if verify else scan


def _from_arrays(
    name: str,
    class_names: list[str],
    x: np.ndarray,
    y: np.ndarray,
    x_test: np.ndarray | None,
    y_test: np.ndarray | None,
    spec: DatasetSpec,
) -> Dataset:
    def as_split(split: str, images: np.ndarray, labels: np.ndarray) -> Split:
        return Split(labels, images, keys=[f"{split}/{i}" for i in range(len(labels))])

    found = {}
    if x_test is not None and y_test is not None:
        found["test"] = as_split("test", x_test, y_test)
    dataset = Dataset(name, class_names, {})
    _split(dataset, as_split("train", x, y), found, spec)
    return dataset


def _from_scan(name: str, scan: FolderScan, spec: DatasetSpec) -> Dataset:
    def as_split(files: list[tuple[str, int]]) -> Split:
        labels = np.array([label for _, label in files], dtype=np.int64)
        return Split(labels, paths=[p for p, _ in files])

    found = {k: as_split(v) for k, v in scan.splits.items()}
    base = found.pop("all", None) or found.pop("train")
    dataset = Dataset(name, scan.class_names, {}, scan.report, root=str(scan.root))
    _split(dataset, base, found, spec)
    return dataset


def _split(dataset: Dataset, base: Split, found: dict[str, Split], spec: DatasetSpec):
    """All three splits: those the data lacks carved out of ``base`` (training)
    by the recipe's rule, which an exported script follows too; then the
    spec's exclusion list (``relisted``)."""
    fractions = {"validation": spec.validation_fraction, "test": spec.test_fraction}
    missing = {s: f for s, f in fractions.items() if s not in found}
    parts = carve(base.labels, missing, spec.seed)
    splits = {**found, **{s: base.subset(index) for s, index in parts.items()}}
    dataset.splits = {s: splits[s] for s in SPLITS}
    if spec.exclusions:
        _apply(dataset, spec.exclusions)


def relisted(dataset: Dataset, exclusions: Exclusions) -> Dataset:
    """``dataset`` with ``exclusions`` applied instead of the list it had.

    A new Dataset sharing the images, so a run still reading the old one is
    undisturbed; the project's list changed, the data need not load again.
    The list is applied to the splits as given, after they were carved, so
    no image moves to another split (an exported script carves with the
    list's labels, ``core.recipe.split.carve_splits``: the same images).
    """
    notes = [n for n in dataset.notes if not n.startswith(_NOTE)]
    out = Dataset(
        dataset.name,
        dataset.class_names,
        dict(dataset.given or dataset.splits),
        dataset.report,
        notes,
        root=dataset.root,
    )
    if exclusions:
        _apply(out, exclusions)
    return out


_NOTE = "exclusion list: "


def _apply(dataset: Dataset, exclusions: Exclusions) -> None:
    """Apply ``exclusions`` to ``dataset``'s splits as given, in place."""
    given = dataset.splits
    dataset.exclusions = exclusions
    listed, lines = listed_labels(
        {s: (_items(split), split.labels) for s, split in given.items()},
        dataset.class_names,
        exclusions.as_entries(),
        dataset.root,
        {s: split.keys for s, split in given.items() if split.keys is not None},
    )
    dataset.notes.extend(_NOTE + line for line in lines)
    if all(np.array_equal(listed[s], given[s].labels) for s in given):
        return  # no entry applied: the splits stay as given
    cleaned = {}
    for s, split in given.items():
        keep = kept(listed[s])
        cleaned[s] = split.subset(keep)
        cleaned[s].labels = listed[s][keep]
    dataset.given, dataset.splits = given, cleaned


def find_undecodable(
    dataset: Dataset,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> dict[str, str]:
    """Decode every file of a loaded folder dataset (all cores): path -> reason.

    Only reads; :func:`leave_out` applies the result, so a GUI can run this on
    a worker while its views keep using the dataset.

    Raises:
        DatasetError: ``cancel`` was set.
    """
    paths = [p for s in dataset.splits.values() for p in (s.paths or [])]
    return undecodable(paths, progress, cancel)


def leave_out(dataset: Dataset, bad: dict[str, str]) -> None:
    """Move ``bad`` files from the splits to the report; the data is now verified."""
    for splits in (dataset.splits, dataset.given or {}):
        for name, split in splits.items():
            if split.paths is not None:
                keep = [i for i, p in enumerate(split.paths) if p not in bad]
                splits[name] = split.subset(np.array(keep, dtype=np.int64))
    for path, reason in bad.items():
        dataset.report.skip(path, reason)
    dataset.report.verified = True


def _items(split: Split):
    """The split's files, or its images when it holds them in memory."""
    return split.paths if split.paths is not None else split.images
