"""A dataset's fingerprint: what a run records so it can tell the data changed.

Class names and the number of files (or images) per class in every split:
cheap to take from a loaded dataset, and enough to notice files added,
deleted or moved between classes since the run started, which would make a
resumed run train (or an evaluation judge) on other data than it says.

Example:
    >>> data_changes({"classes": ["a"], "counts": {"train": [3]}},
    ...              {"classes": ["a"], "counts": {"train": [2]}})
    ["class 'a' in train: 3 images when the run started, 2 now"]
"""

from __future__ import annotations

from typing import Any, Protocol

from core.errors import WorkbenchError


class _Counted(Protocol):
    class_names: list[str]

    def counts(self) -> dict[str, list[int]]: ...


def data_fingerprint(dataset: _Counted) -> dict[str, Any]:
    """``{"classes": [...], "counts": {split: [images per class]}}``."""
    return {"classes": list(dataset.class_names), "counts": dataset.counts()}


def data_changes(recorded: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """What differs between two fingerprints, one line per difference."""
    if recorded.get("classes") != current.get("classes"):
        return [
            f"the classes were {', '.join(recorded.get('classes') or [])}; "
            f"now {', '.join(current.get('classes') or [])}"
        ]
    changes = []
    then, now = recorded.get("counts") or {}, current.get("counts") or {}
    for split in sorted(set(then) | set(now)):
        before, after = then.get(split) or [], now.get(split) or []
        for name, a, b in zip(current["classes"], before, after, strict=False):
            if a != b:
                changes.append(
                    f"class '{name}' in {split}: {a} images when the run started, "
                    f"{b} now"
                )
    return changes


def refuse_changed_data(recorded: dict[str, Any], dataset: _Counted, name: str) -> None:
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
