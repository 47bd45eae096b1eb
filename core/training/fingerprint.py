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

from core.data.dataset import SPLITS, Dataset, Split
from core.errors import WorkbenchError

SAMPLE_SIZE = 16  # files whose contents are hashed: a few milliseconds of reading


def data_fingerprint(dataset: Dataset) -> dict[str, Any]:
    """``{"classes", "counts", "files", "sample"}``; see the module docstring."""
    names = _relative_names(dataset)
    return {
        "classes": list(dataset.class_names),
        "counts": dataset.counts(),
        "files": {
            name: _class_digests(split, dataset.num_classes, names[name])
            for name, split in _splits(dataset)
            if split.paths is not None
        },
        "sample": _sample(dataset, names),
    }


def data_changes(recorded: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """What differs between two fingerprints, one line per difference."""
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


def refuse_changed_data(recorded: dict[str, Any], dataset: Dataset, name: str) -> None:
    """WorkbenchError naming what changed, when ``dataset`` is not the run's data.

    ``recorded`` is the run's ``config.json`` ``dataset`` entry; runs recorded
    before fingerprints are checked by their class names only.
    """
    fingerprint = recorded.get("fingerprint")
    if fingerprint is None:
        fingerprint = {"classes": recorded.get("classes"), "counts": {}}
    changes = data_changes(fingerprint, data_fingerprint(dataset))
    if changes:
        more = f" (and {len(changes) - 3} more)" if len(changes) > 3 else ""
        raise WorkbenchError(
            f"the data changed since {name} started: {'; '.join(changes[:3])}{more}"
        )


def _splits(dataset: Dataset) -> list[tuple[str, Split]]:
    return [(s, dataset.splits[s]) for s in SPLITS if s in dataset.splits]


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
