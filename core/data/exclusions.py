"""Exclusions: the images a project leaves out or labels otherwise, as a value.

The dataset spec holds it (``DatasetSpec.exclusions``), so it is saved in the
project file, recorded in each run's ``config.json`` with the rest of the spec,
and applied wherever data is opened (``core.data.load.open_dataset``): a run,
``python -m core train``, a resume (the run's own list), an evaluation, an
exported script. The user's files are never touched.

An entry names its image by path relative to the dataset's folder and a digest
of its content (``core.recipe.exclusions``); ``Dataset.identity`` gives both
for an image of a loaded dataset, which is how the data-quality report, the
evaluation view or a script lists one:

    >>> spec = DatasetSpec(name="shapes", count=60)
    >>> dataset = open_dataset(spec)
    >>> path, digest = dataset.identity("test", 0)
    >>> spec = replace(spec, exclusions=spec.exclusions.excluding(path, digest))
    >>> len(open_dataset(spec).splits["test"])
    5
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from core.errors import ProjectFormatError
from core.recipe.exclusions import EXCLUDE, Entry, content_digest


@dataclass(frozen=True)
class Listed:
    """One image on the list: left out (``label`` None) or given ``label``."""

    path: str  # relative to the dataset's folder, or "<split>/<index>" of an array
    digest: str  # core.recipe.exclusions.content_digest when it was listed
    label: str | None = None  # the class name it takes; None: excluded

    @property
    def action(self) -> str:
        """``"exclude"`` or the new class name, as files and scripts write it."""
        return EXCLUDE if self.label is None else self.label

    def as_entry(self) -> Entry:
        return (self.path, self.digest, self.action)


@dataclass(frozen=True)
class Exclusions:
    """The list, in the order entries were added; one entry per image path."""

    entries: tuple[Listed, ...] = ()

    def __len__(self) -> int:
        return len(self.entries)

    def __bool__(self) -> bool:
        return bool(self.entries)

    @property
    def excluded(self) -> int:
        return sum(e.label is None for e in self.entries)

    @property
    def relabelled(self) -> int:
        return sum(e.label is not None for e in self.entries)

    def excluding(self, path: str, digest: str) -> Exclusions:
        """This list with ``path`` left out (replacing an entry for it)."""
        return self._with(Listed(path, digest))

    def relabelling(self, path: str, digest: str, label: str) -> Exclusions:
        """This list with ``path`` taking class ``label`` (replacing an entry)."""
        return self._with(Listed(path, digest, label))

    def listing(self, path: str, digest: str, label: str | None) -> Exclusions:
        """``excluding`` when ``label`` is None, else ``relabelling``: one call
        for a view whose action carries either."""
        return self._with(Listed(path, digest, label))

    def without(self, paths: Iterable[str]) -> Exclusions:
        """This list without the entries of ``paths``."""
        gone = set(paths)
        return Exclusions(tuple(e for e in self.entries if e.path not in gone))

    def as_entries(self) -> list[Entry]:
        return [e.as_entry() for e in self.entries]

    def summary(self) -> str:
        """``"3 excluded, 1 relabelled"``: what the Data page and warnings say."""
        return f"{self.excluded:,} excluded, {self.relabelled:,} relabelled"

    def digest(self) -> str:
        """One digest of the entries, whatever their order: the fingerprint's."""
        lines = sorted("\0".join(e.as_entry()) for e in self.entries)
        return content_digest("\n".join(lines).encode())

    def to_list(self) -> list[dict[str, str]]:
        return [
            {"path": e.path, "digest": e.digest, "action": e.action}
            for e in self.entries
        ]

    @classmethod
    def from_list(cls, data: Any, where: str = "dataset.exclusions") -> Exclusions:
        """Parse a file's list, or raise ProjectFormatError naming the entry."""
        if not isinstance(data, list):
            raise ProjectFormatError(where, "must be a list of entries")
        entries: dict[str, Listed] = {}
        for i, raw in enumerate(data):
            at = f"{where}[{i}]"
            if not isinstance(raw, Mapping):
                raise ProjectFormatError(at, "must be an object")
            unknown = sorted(set(raw) - {"path", "digest", "action"})
            if unknown:
                raise ProjectFormatError(f"{at}.{unknown[0]}", "unknown setting")
            for key in ("path", "digest", "action"):
                if not isinstance(raw.get(key), str) or not raw[key]:
                    raise ProjectFormatError(f"{at}.{key}", "missing or not text")
            action = raw["action"]
            entries[raw["path"]] = Listed(
                raw["path"], raw["digest"], None if action == EXCLUDE else action
            )
        return cls(tuple(entries.values()))

    def _with(self, entry: Listed) -> Exclusions:
        kept = tuple(e for e in self.entries if e.path != entry.path)
        return Exclusions((*kept, entry))
