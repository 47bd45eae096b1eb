"""The data check a resume and an evaluation make: contents, not only counts."""

from __future__ import annotations

import shutil

import pytest

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
