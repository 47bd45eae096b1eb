"""The data-quality report as a value: what it found, saved in the run folder.

``DataQualityReport`` is plain data (no arrays, no model) so the command
line prints it, the GUI shows it (thumbnails come from ``ImageRef.file``
below the data's folder, or the split and index of an array) and it reopens
from ``RUN/data-quality/{full,quick}.json`` without recomputing
(``load_report``). Saved atomically: a report is whole or absent.

Every image is an ``ImageRef``: split, index in the split as the run's data
opened, and the name and content digest the exclusion list uses.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from core.atomic_file import write_atomic
from core.errors import WorkbenchError

FORMAT = "cnn-workbench-data-quality"
VERSION = 1
FOLDER = "data-quality"
FULL, QUICK = "full", "quick"
LEAK_SPLITS = ("validation", "test")  # held out: also in train is a leak


@dataclass(frozen=True)
class ImageRef:
    """One image: where it is in the run's data and how the exclusion list names it."""

    split: str
    index: int
    file: str  # below the data's folder, or "train/17": its place in an array
    digest: str  # SHA-256 of its bytes (pixels), first 16 hex digits


@dataclass(frozen=True)
class LabelIssue:
    """An image, its given label and what the out-of-sample model says instead."""

    image: ImageRef
    given: str
    suggested: str  # the class the probabilities favour
    confidence: float  # the probability of ``suggested``
    quality: float  # cleanlab's label quality, 0..1: low is likely mislabeled
    flagged: bool  # cleanlab's find_label_issues counts it as a label issue


@dataclass(frozen=True)
class DuplicatePair:
    """Two images the pixel rule calls copies (``core.data_quality.duplicates``)."""

    first: ImageRef
    second: ImageRef
    exact: bool  # the same bytes (pixels)
    hash_bits: int
    pixel_distance: float
    similarity: float | None  # cosine of the model's embeddings

    @property
    def leak(self) -> bool:
        """A held-out image that is also in train."""
        splits = {self.first.split, self.second.split}
        return "train" in splits and bool(splits & set(LEAK_SPLITS))

    @property
    def where(self) -> str:
        """``"train"`` for a pair within train, ``"train/test"`` across."""
        a, b = self.first.split, self.second.split
        return a if a == b else f"{a}/{b}"


@dataclass(frozen=True)
class HardExample:
    image: ImageRef
    given: str
    predicted: str
    probability: float  # of the given class


@dataclass(frozen=True)
class ConfusedPair:
    first: str
    second: str
    first_as_second: int  # images of ``first`` predicted as ``second``
    second_as_first: int


@dataclass(frozen=True)
class DataQualityReport:
    """What the report found for one run; see docs/data-quality.md.

    ``labels`` ranks every image checked, likeliest mislabeled first;
    ``flagged`` are those cleanlab counts as issues. ``checked`` says in
    words which images were checked and by which models.
    """

    run: str
    mode: str  # FULL (k-fold over train + held-out) or QUICK (held-out only)
    checked: str
    classes: list[str]
    images: dict[str, int]  # per split, the images the report saw
    labels: list[LabelIssue]
    duplicates: list[DuplicatePair]
    hardest: dict[str, list[HardExample]]
    confused: list[ConfusedPair]
    folds: int | None = None
    fold_epochs: int | None = None
    seconds: float = 0.0
    when: str = ""
    model: str = ""  # the run's model file it used
    fingerprint: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def flagged(self) -> list[LabelIssue]:
        return [issue for issue in self.labels if issue.flagged]

    @property
    def leaks(self) -> list[DuplicatePair]:
        return [pair for pair in self.duplicates if pair.leak]

    def to_dict(self) -> dict[str, Any]:
        return {"format": FORMAT, "version": VERSION, **asdict(self)}

    @classmethod
    def from_dict(cls, data: Any, where: str = "report") -> DataQualityReport:
        """Raises WorkbenchError for anything that is not a saved report."""
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise WorkbenchError(f"{where} is not a saved data-quality report")
        try:
            return cls(
                **{k: data[k] for k in _PLAIN if k in data},
                labels=[_with_images(LabelIssue, d) for d in data["labels"]],
                duplicates=[_with_images(DuplicatePair, d) for d in data["duplicates"]],
                hardest={
                    name: [_with_images(HardExample, d) for d in found]
                    for name, found in data["hardest"].items()
                },
                confused=[ConfusedPair(**d) for d in data["confused"]],
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise WorkbenchError(f"{where} is damaged ({exc})") from None


def _with_images(kind: type, data: dict[str, Any]) -> Any:
    """``kind`` from its saved fields, its images (``ImageRef``) rebuilt."""
    images = {k: ImageRef(**data[k]) for k in ("image", "first", "second") if k in data}
    return kind(**{**data, **images})


_PLAIN = (
    "run",
    "mode",
    "checked",
    "classes",
    "images",
    "folds",
    "fold_epochs",
    "seconds",
    "when",
    "model",
    "fingerprint",
    "notes",
)


def report_path(run_dir: str | Path, mode: str) -> Path:
    """Where the run's report of ``mode`` is kept."""
    return Path(run_dir) / FOLDER / f"{mode}.json"


def save_report(report: DataQualityReport, run_dir: str | Path) -> Path:
    """Keep ``report`` in the run folder (atomically); its path."""
    path = report_path(run_dir, report.mode)
    write_atomic(path, json.dumps(report.to_dict(), allow_nan=False))
    return path


def load_report(run_dir: str | Path, mode: str) -> DataQualityReport | None:
    """The run's saved report of ``mode``, or None if it has none.

    Raises:
        WorkbenchError: the file is there but damaged.
    """
    path = report_path(run_dir, mode)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        why = exc.strerror or exc
        raise WorkbenchError(f"{path}: cannot be read ({why})") from None
    try:
        data = json.loads(text)
    except ValueError:
        raise WorkbenchError(f"{path} is damaged (not JSON)") from None
    return DataQualityReport.from_dict(data, str(path))
