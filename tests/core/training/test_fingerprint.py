"""The data check a resume and an evaluation make: contents, not only counts."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from core.data.dataset import Dataset, Split
from core.data.load import open_dataset
from core.data.spec import DatasetSpec
from core.errors import WorkbenchError
from core.training.fingerprint import data_fingerprint, refuse_changed_data
from tests.reliability.test_resume_faults import image_folder


def opened(folder):
    return open_dataset(DatasetSpec(kind="folder", name="pets", path=str(folder)))


def recorded(folder):
    dataset = opened(folder)
    return {"classes": dataset.class_names, "fingerprint": data_fingerprint(dataset)}


def test_a_cat_replaced_by_a_dog_under_the_same_name_is_refused(tmp_path):
    folder = image_folder(tmp_path / "pets")
    record = recorded(folder)
    shutil.copyfile(folder / "dog" / "001.png", folder / "cat" / "001.png")
    with pytest.raises(WorkbenchError, match=r"cat/001\.png has other contents"):
        refuse_changed_data(record, opened(folder), "run-1")


def test_a_file_renamed_within_its_class_is_refused(tmp_path):
    folder = image_folder(tmp_path / "pets")
    record = recorded(folder)
    (folder / "dog" / "002.png").rename(folder / "dog" / "new.png")
    with pytest.raises(WorkbenchError, match=r"class 'dog' in .*: files renamed"):
        refuse_changed_data(record, opened(folder), "run-1")


def test_a_moved_or_copied_folder_is_still_the_runs_data(tmp_path):
    folder = image_folder(tmp_path / "pets")
    record = recorded(folder)
    moved = shutil.move(folder, tmp_path / "elsewhere" / "pets-2")
    refuse_changed_data(record, opened(moved), "run-1")
    copied = shutil.copytree(moved, tmp_path / "copy")  # new modification times
    refuse_changed_data(record, opened(copied), "run-1")


def test_fingerprints_recorded_by_earlier_versions_are_still_accepted(tmp_path):
    folder = image_folder(tmp_path / "pets")
    dataset = opened(folder)
    old = {"classes": dataset.class_names, "counts": dataset.counts()}
    refuse_changed_data({"fingerprint": old}, dataset, "run-1")
    refuse_changed_data({"classes": dataset.class_names}, dataset, "run-1")


def test_images_held_in_memory_are_sampled_too():
    spec = DatasetSpec(name="shapes", count=60)
    record = {"fingerprint": data_fingerprint(open_dataset(spec))}
    other = open_dataset(DatasetSpec(name="shapes", count=60, seed=1))
    with pytest.raises(WorkbenchError, match=r"other contents"):
        refuse_changed_data(record, other, "run-1")


def odd_folder(root: Path) -> Dataset:
    """A folder dataset whose paths need normalizing (``.``, ``..``, ``//``)
    beside plain ones, and a file that went missing."""
    files = {
        "train/cat/1.png": b"cat one",
        "train/cat/5.png": b"cat five",
        "train/dog/2.png": b"dog two",
        "train/dog/6.png": b"dog six!",
        "test/cat/3.png": b"cat three",
        "test/dog/4.png": b"dog four",
        "test/dog/7.png": b"7",
    }
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    r = str(root)
    train = [f"{r}/train/cat/1.png", f"{r}/train/cat/./5.png", f"{r}/train/dog/2.png"]
    train += [f"{r}/train/dog/../dog/6.png", f"{r}/train/dog/missing.png"]
    test = [f"{r}/test/cat/3.png", f"{r}/test//dog/4.png", f"{r}/test/dog/7.png"]
    return Dataset(
        "pets",
        ["cat", "dog"],
        {
            "train": Split(np.array([0, 0, 1, 1, 1]), None, train),
            "validation": Split(np.array([], dtype=int), None, []),
            "test": Split(np.array([0, 1, 1]), None, test),
        },
    )


def test_fingerprints_are_what_earlier_versions_recorded(tmp_path):
    """Taken by the code of d147374: a run recorded then must still match."""
    fingerprint = data_fingerprint(odd_folder(tmp_path / "pets"))
    assert fingerprint["files"] == {
        "train": ["dcf7b26dacb9ce8b", "051f7986ded390c8"],
        "validation": ["e3b0c44298fc1c14", "e3b0c44298fc1c14"],
        "test": ["d400f81897744961", "021f33070e36042d"],
    }
    assert fingerprint["sample"] == {
        "train/dog/6.png": "655c975d100e15cd",
        "train/dog/missing.png": "unreadable",
        "train/cat/1.png": "ab1b62cf0dedacd7",
        "test/cat/3.png": "b97e4e0a4f53daa1",
        "test/dog/7.png": "7902699be42c8a8e",
        "train/dog/2.png": "d7a02a29cf4d7b2a",
        "test/dog/4.png": "1a762f31740f5564",
        "train/cat/5.png": "d604992d7781b7d2",
    }


def test_plain_paths_are_named_without_relpath(monkeypatch):
    """os.path.relpath made every path absolute, twice per file: a 50,000-file
    dataset's fingerprint took 1.16 s of CPU (0.43 s now) at every run's start,
    resume and evaluation. A plain path below the shared folder is cut."""
    paths = [f"/data/cifar/train/c{i % 10}/{i:05d}.jpg" for i in range(2000)]
    dataset = Dataset(
        "cifar",
        [f"c{i}" for i in range(10)],
        {"train": Split(np.arange(2000) % 10, None, paths)},
    )
    calls = []
    relpath = os.path.relpath
    monkeypatch.setattr(os.path, "relpath", lambda *a: calls.append(a) or relpath(*a))
    fingerprint = data_fingerprint(dataset)
    assert calls == []
    assert len(fingerprint["sample"]) == 16
    assert all(re.fullmatch(r"c\d/\d{5}\.jpg", k) for k in fingerprint["sample"])
