"""A dataset's fingerprint: what a run records so it can tell the data changed.

Three parts, each cheap to take from a loaded dataset:

- the class names and the number of images per class in every split, which
  notice files added, deleted or moved between classes;
- per class and split, a digest of the files' paths relative to the dataset's
  folder and their sizes, which notices a file renamed or replaced by one of
  another size;
- a seeded sample of files (or, for images held in memory, of images) with a
  digest of their contents, which notices a file replaced under the same name
  by one of the same size (a cat photo by a dog photo).

Modification times are left out on purpose: copying or moving a folder
changes them, and a moved dataset must still be the run's data. Fingerprints
recorded before the last two parts existed are compared by what they hold.

The three parts are taken of the data as given, before the project's
exclusion list (``core.data.exclusions``); a list, when there is one, is a
fourth part: its digest and how many images it left out and relabelled. So a
list changed after a run is a data change for a new run or a resume of the
project's data (``data_changes``), while the run's own figures and reports,
which read the data with the run's recorded list, stay valid; and a check that
asks only whether the files are the run's (``include_list=False``, a
data-quality report of the run against the project's data) ignores the list.

Example:
    >>> data_changes({"classes": ["a"], "counts": {"train": [3]}},
    ...              {"classes": ["a"], "counts": {"train": [2]}})
    ["class 'a' in train: 3 images when the run started, 2 now"]
"""

from __future__ import annotations

import hashlib
import os
import random
from typing import Any

import numpy as np

from core.data.dataset import SPLITS, Dataset, Split
from core.errors import WorkbenchError

SAMPLE_SIZE = 16  # files whose contents are hashed: a few milliseconds of reading


def data_fingerprint(dataset: Dataset) -> dict[str, Any]:
    """``{"classes", "counts", "files", "sample"}``; see the module docstring."""
    names = _relative_names(dataset)
    given = _splits(dataset)
    fingerprint = {
        "classes": list(dataset.class_names),
        "counts": {s: split.class_counts(dataset.num_classes) for s, split in given},
        "files": {
            name: _class_digests(split, dataset.num_classes, names[name])
            for name, split in given
            if split.paths is not None
        },
        "sample": _sample(dataset, names),
    }
    if dataset.exclusions:
        fingerprint["exclusions"] = _list_part(dataset)
    return fingerprint


def data_changes(
    recorded: dict[str, Any], current: dict[str, Any], include_list: bool = True
) -> list[str]:
    """What differs between two fingerprints, one line per difference.

    ``include_list=False`` compares the files only, not the exclusion list.
    """
    changes = _file_changes(recorded, current)
    then, now = recorded.get("exclusions"), current.get("exclusions")
    if include_list and then != now:
        changes.append(
            f"the exclusion list: {_list_words(then)} when the run started, "
            f"{_list_words(now)} now"
        )
    return changes


def _file_changes(recorded: dict[str, Any], current: dict[str, Any]) -> list[str]:
    if recorded.get("classes") != current.get("classes"):
        return [
            f"the classes were {', '.join(recorded.get('classes') or [])}; "
            f"now {', '.join(current.get('classes') or [])}"
        ]
    changes = []
    then, now = recorded.get("counts") or {}, current.get("counts") or {}
    counted = set()
    for split in sorted(set(then) | set(now)):
        before, after = then.get(split) or [], now.get(split) or []
        for name, a, b in zip(current["classes"], before, after, strict=False):
            if a != b:
                counted.add((split, name))
                changes.append(
                    f"class '{name}' in {split}: {a} images when the run started, "
                    f"{b} now"
                )
    then, now = recorded.get("files") or {}, current.get("files") or {}
    for split in sorted(set(then) & set(now)):
        pairs = zip(current["classes"], then[split], now[split], strict=False)
        for name, a, b in pairs:
            if a != b and (split, name) not in counted:
                changes.append(
                    f"class '{name}' in {split}: files renamed, or replaced by "
                    "files of another size"
                )
    then, now = recorded.get("sample") or {}, current.get("sample") or {}
    for key in sorted(set(then) & set(now)):
        if then[key] != now[key]:
            changes.append(f"{key} has other contents under the same name")
    return changes


def refuse_changed_data(
    recorded: dict[str, Any], dataset: Dataset, name: str, include_list: bool = True
) -> None:
    """WorkbenchError naming what changed, when ``dataset`` is not the run's data.

    ``recorded`` is the run's ``config.json`` ``dataset`` entry; runs recorded
    before fingerprints are checked by their class names only.
    ``include_list=False`` asks whether the files are the run's, whatever
    exclusion list ``dataset`` was opened with.
    """
    fingerprint = recorded.get("fingerprint")
    if fingerprint is None:  # by the class names only, as before fingerprints
        fingerprint = {"classes": recorded.get("classes"), "counts": {}}
        include_list = False
    changes = data_changes(fingerprint, data_fingerprint(dataset), include_list)
    if changes:
        more = f" (and {len(changes) - 3} more)" if len(changes) > 3 else ""
        raise WorkbenchError(
            f"the data changed since {name} started: {'; '.join(changes[:3])}{more}"
        )


def _splits(dataset: Dataset) -> list[tuple[str, Split]]:
    """The splits as given: before the exclusion list."""
    return [(s, dataset.as_given(s)) for s in SPLITS if s in dataset.splits]


def _list_part(dataset: Dataset) -> dict[str, Any]:
    """The exclusion list's digest and what it did to the data it was opened with.

    The counts notice a listed file that changed since: its entry is no
    longer applied, under a list of the same digest.
    """
    left_out = relabelled = 0
    if dataset.given is not None:
        for s, split in dataset.splits.items():
            before = dataset.given[s]
            left_out += len(before) - len(split)
            relabelled += int(
                np.sum(before.labels[_kept_of(before, split)] != split.labels)
            )
    return {
        "digest": dataset.exclusions.digest(),
        "excluded": left_out,
        "relabelled": relabelled,
    }


def _kept_of(before: Split, after: Split) -> np.ndarray:
    """Where ``after``'s images sit in ``before`` (the list only drops images)."""
    if before.paths is not None and after.paths is not None:
        place = {p: i for i, p in enumerate(before.paths)}
        return np.array([place[p] for p in after.paths], dtype=np.int64)
    assert before.keys is not None
    assert after.keys is not None
    place = {k: i for i, k in enumerate(before.keys)}
    return np.array([place[k] for k in after.keys], dtype=np.int64)


def _list_words(part: dict[str, Any] | None) -> str:
    if not part:
        return "none"
    return f"{part.get('excluded', 0)} left out, {part.get('relabelled', 0)} relabelled"


def _relative_names(dataset: Dataset) -> dict[str, list[str]]:
    """Per split, its files named from the folder they all share, so a moved
    dataset names them alike (``/`` between parts on every system).

    Each name is taken once, by cutting the shared folder off the front:
    ``os.path.relpath`` makes both paths absolute first, and naming every
    file twice with it made a 50,000-file dataset's fingerprint take 1.16 s
    of CPU (0.43 s now). A name that is not plainly below the folder (``.``,
    ``..``, ``//``) goes through ``relpath`` as before, so every fingerprint
    stays what it was.
    """
    splits = {
        s: split.paths for s, split in _splits(dataset) if split.paths is not None
    }
    paths = [p for ps in splits.values() for p in ps]
    if not paths:
        return {s: [] for s in splits}
    root = os.path.commonpath([os.path.dirname(p) for p in paths])
    prefix = root if root.endswith(os.sep) else root + os.sep
    cut = len(prefix) if root else 0
    return {
        s: [_below(p, prefix, cut) or _relpath(p, root) for p in ps]
        for s, ps in splits.items()
    }


def _below(path: str, prefix: str, cut: int) -> str | None:
    """``path`` without ``prefix``, when that is all ``relpath`` would do."""
    if not cut or not path.startswith(prefix):
        return None
    rest = path[cut:]
    if os.altsep:
        rest = rest.replace(os.altsep, os.sep)
    parts = rest.split(os.sep)
    if "" in parts or "." in parts or ".." in parts:
        return None
    return "/".join(parts)


def _relpath(path: str, root: str) -> str:
    return os.path.relpath(path, root).replace(os.sep, "/") if root else path


def _class_digests(split: Split, classes: int, names: list[str]) -> list[str]:
    """Per class: a digest of its files' relative paths and sizes."""
    assert split.paths is not None
    lines: list[list[str]] = [[] for _ in range(classes)]
    for path, name, label in zip(
        split.paths, names, split.labels.tolist(), strict=True
    ):
        lines[label].append(f"{name}\0{_size(path)}")
    return [_digest("\n".join(sorted(group)).encode()) for group in lines]


def _sample(dataset: Dataset, names: dict[str, list[str]]) -> dict[str, str]:
    """A content digest of a seeded sample of files (or in-memory images)."""
    items: list[tuple[str, Split, int]] = []
    for name, split in _splits(dataset):
        for i in range(len(split)):
            key = names[name][i] if split.paths else f"{name}[{i}]"
            items.append((key, split, i))
    items.sort(key=lambda item: item[0])
    chosen = random.Random(0).sample(items, min(SAMPLE_SIZE, len(items)))
    return {key: _content(split, i) for key, split, i in chosen}


def _content(split: Split, index: int) -> str:
    if split.paths is None:
        assert split.images is not None
        return _digest(split.images[index].tobytes())
    try:
        with open(split.paths[index], "rb") as f:
            return _digest(f.read())
    except OSError:
        return "unreadable"


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return -1


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]
