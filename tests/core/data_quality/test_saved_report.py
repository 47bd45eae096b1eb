"""A saved report round-trips; a damaged or foreign file is one clear error."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.data_quality.report import (
    FULL,
    ConfusedPair,
    DataQualityReport,
    DuplicatePair,
    HardExample,
    ImageRef,
    LabelIssue,
    load_report,
    report_path,
    save_report,
)
from core.errors import WorkbenchError


def small_report() -> DataQualityReport:
    a = ImageRef("train", 0, "train/cat/1.png", "0123456789abcdef")
    b = ImageRef("test", 3, "test/cat/9.png", "0123456789abcdef")
    return DataQualityReport(
        run="20261207-101500-cnn",
        mode=FULL,
        checked="full: ...",
        classes=["cat", "dog"],
        images={"train": 1, "validation": 0, "test": 1},
        labels=[LabelIssue(a, "cat", "dog", 0.9, 0.1, True)],
        duplicates=[DuplicatePair(a, b, True, 0, 0.0, 1.0)],
        hardest={"cat": [HardExample(a, "cat", "dog", 0.1)], "dog": []},
        confused=[ConfusedPair("cat", "dog", 1, 0)],
    )


def test_a_saved_report_reopens_as_it_was(tmp_path: Path):
    report = small_report()
    assert load_report(tmp_path, FULL) is None
    save_report(report, tmp_path)
    again = load_report(tmp_path, FULL)
    assert again == report
    assert again.leaks == report.duplicates
    assert again.duplicates[0].where == "train/test"


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("{not json", "not JSON"),
        ('{"format": "other"}', "not a saved"),
        ('{"format": "cnn-workbench-data-quality"}', "damaged"),
    ],
)
def test_a_damaged_file_is_one_error(tmp_path: Path, content: str, words: str):
    path = report_path(tmp_path, FULL)
    path.parent.mkdir()
    path.write_text(content)
    with pytest.raises(WorkbenchError, match=words):
        load_report(tmp_path, FULL)
