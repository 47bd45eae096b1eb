"""Folder datasets: scanning, the skipped-file report, splits, errors, statistics."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from core.data.dataset import class_weights, stratified_split
from core.data.load import open_dataset
from core.data.scan import scan_folder, verify_images
from core.data.spec import DatasetSpec
from core.data.stats import compute_stats
from core.errors import DatasetError


def folder_spec(path, **kw):
    return DatasetSpec(kind="folder", name="t", path=str(path), **kw)


def test_quick_scan_skips_bad_headers_and_ignores_the_rest(messy_folder):
    scan = scan_folder(messy_folder)
    assert scan.class_names == ["cat", "dog", "fox"]
    skipped = {p.split("messy/")[1]: why for p, why in scan.report.skipped}
    assert skipped["cat/notes.jpg"] == "not an image (unknown format)"
    assert skipped["dog/empty.png"] == "empty file"
    # A JPEG cut short in its header is caught here already; the truncated PNG
    # has an intact header and needs the full decode.
    assert skipped["fox/corrupt.jpg"] == "truncated image"
    assert "fox/truncated.png" not in skipped
    files = [p for p, _ in scan.splits["all"]]
    assert not any(".hidden" in p or p.endswith(".txt") for p in files)
    assert len(files) == 3 * 6 + 2 + 2 + 1 + 1
    assert any(p.endswith("cmyk.jpg") for p in scan.report.needs_pillow)
    assert any(p.endswith("e.tiff") for p in scan.report.needs_pillow)


def test_full_verification_finds_undecodable_files(messy_folder):
    scan = verify_images(scan_folder(messy_folder), processes=2)
    reasons = {p.split("messy/")[1]: why for p, why in scan.report.skipped}
    assert reasons["fox/truncated.png"] == "truncated image"
    assert scan.report.verified
    remaining = {p for p, _ in scan.splits["all"]}
    assert not any(p.endswith(("truncated.png", "corrupt.jpg")) for p in remaining)


def test_single_class_and_empty_class_are_clear_errors(tmp_path, messy_folder):
    one = tmp_path / "one"
    shutil.copytree(messy_folder / "cat", one / "cat")
    with pytest.raises(DatasetError, match="at least two classes"):
        scan_folder(one)
    (messy_folder / "empty_class").mkdir()
    (messy_folder / "empty_class" / "bad.jpg").write_bytes(b"")
    with pytest.raises(
        DatasetError, match=r"class 'empty_class' .* has no usable images"
    ):
        scan_folder(messy_folder)


def test_train_test_layout_uses_the_test_folder(shared_datasets):
    ds = open_dataset(folder_spec(shared_datasets / "cifar-10-jpg-small", seed=3))
    assert ds.class_names[:2] == ["airplane", "automobile"]
    counts = ds.counts()
    assert counts["test"] == [20] * 10
    assert counts["validation"] == [5] * 10
    assert counts["train"] == [45] * 10
    assert ds.native_shape() == (32, 32, 3)


def test_splits_are_stratified_and_reproducible():
    labels = np.repeat(np.arange(3), [50, 30, 20])
    a = stratified_split(labels, (0.2, 0.1), seed=1)
    b = stratified_split(labels, (0.2, 0.1), seed=1)
    c = stratified_split(labels, (0.2, 0.1), seed=2)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not np.array_equal(a[0], c[0])
    assert np.bincount(labels[a[0]]).tolist() == [10, 6, 4]
    assert sum(len(p) for p in a) == 100
    assert len(set(np.concatenate(a))) == 100


def test_statistics_and_class_weights(messy_folder):
    ds = open_dataset(
        folder_spec(messy_folder, validation_fraction=0.0, test_fraction=0.0)
    )
    stats = compute_stats(ds)
    assert stats.counts["train"] == [8, 8, 8]
    assert stats.sizes[(16, 16)] >= 20
    assert len(stats.mean) == 3
    weights = class_weights([8, 9, 9])  # an imbalanced example
    assert weights[0] > weights[1]


def test_dataset_image_is_what_the_model_sees(messy_folder):
    ds = open_dataset(folder_spec(messy_folder))
    assert ds.image("train", 0, (10, 12), 1).shape == (10, 12, 1)
    shapes = open_dataset(DatasetSpec(name="shapes", count=60))
    assert shapes.image("test", 0, (32, 32), 1).shape == (32, 32, 1)


def test_moved_folder_is_detected(tmp_path):
    spec = folder_spec(tmp_path / "gone")
    assert spec.path_missing()
    with pytest.raises(DatasetError, match="choose its new location"):
        open_dataset(spec)
