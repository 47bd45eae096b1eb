"""The Data page warns about a class left untested and a strong imbalance.

A 10,000 : 3 imbalance gave the small class no validation and no test image,
and a run then reported "test accuracy 1.0000" with no warning. Opened here
as a user opens a folder: the warning shows under the statistics, in words
that name the class, and goes when a balanced folder is opened instead.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from tests.desktop.test_dataset_page import open_and_wait, page  # noqa: F401


def class_folders(root: Path, counts: dict[str, int]) -> Path:
    for name, count in counts.items():
        (root / name).mkdir(parents=True)
        for i in range(count):
            Image.new("RGB", (12, 12), (i % 256, 0, 0)).save(root / name / f"{i}.png")
    return root


def test_an_untested_class_and_the_imbalance_are_warned_about(
    qtbot,
    page,  # noqa: F811 (the Data page tests' fixture)
    tmp_path,
):
    open_and_wait(
        qtbot, page, class_folders(tmp_path / "skewed", {"common": 150, "rare": 1})
    )
    label = page.view.warnings_label
    assert not label.isHidden()
    assert "class 'rare' has no validation and no test images" in label.text()
    assert "strongly imbalanced (120:1" in label.text()

    open_and_wait(qtbot, page, class_folders(tmp_path / "even", {"cat": 20, "dog": 20}))
    assert label.isHidden()
    assert label.text() == ""
