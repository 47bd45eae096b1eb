"""Built-in datasets: local files first, downloads second, clear failure last."""

from __future__ import annotations

import pytest

from core.data import builtin
from core.data.load import open_dataset
from core.data.spec import DatasetSpec
from core.errors import DatasetError


def test_shapes_is_split_80_10_10():
    ds = open_dataset(DatasetSpec(name="shapes", count=600, seed=4))
    assert {k: len(v) for k, v in ds.splits.items()} == {
        "train": 480,
        "validation": 60,
        "test": 60,
    }
    assert ds.class_names[0] == "circle"


@pytest.mark.parametrize("name", ["fashion-mnist", "mnist"])
def test_idx_datasets_from_local_files(shared_datasets, name):
    spec = DatasetSpec(name=name, path=str(shared_datasets / name))
    ds = open_dataset(spec)
    assert ds.splits["test"].images.shape == (10_000, 28, 28, 1)
    assert len(ds.splits["train"]) + len(ds.splits["validation"]) == 60_000
    assert ds.num_classes == 10
    if name == "fashion-mnist":
        assert ds.class_names[9] == "Ankle boot"
        assert ds.splits["test"].labels[:3].tolist() == [9, 2, 1]


def test_failed_download_says_so_and_offers_local_files(monkeypatch, tmp_path):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setenv("CNN_WORKBENCH_DATASETS", str(tmp_path / "none"))

    def offline(url, target, what, progress=None, cancel=None):
        raise DatasetError(f"could not download {what} from {url} (no network)")

    monkeypatch.setattr(builtin, "download", offline)
    with pytest.raises(DatasetError) as info:
        open_dataset(DatasetSpec(name="fashion-mnist"))
    message = str(info.value)
    assert "could not download" in message
    assert "point at a folder holding its IDX files" in message
    with pytest.raises(DatasetError, match=r"cifar-10-jpg\.tar\.gz"):
        open_dataset(DatasetSpec(name="cifar10"))


def test_cifar10_from_a_local_folder_tree(shared_datasets):
    spec = DatasetSpec(name="cifar10", path=str(shared_datasets / "cifar-10-jpg-small"))
    ds = open_dataset(spec)
    assert ds.class_names == list(builtin.CLASS_NAMES["cifar10"])
    assert len(ds.splits["test"]) == 200


def test_cifar10_archive_is_unpacked_once(tmp_path, shared_datasets):
    import tarfile

    archive = tmp_path / "cifar-10-jpg.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(shared_datasets / "cifar-10-jpg-small", arcname="cifar-10-jpg")
    ds = open_dataset(DatasetSpec(name="cifar10", path=str(archive)))
    assert len(ds.splits["test"]) == 200
    again = open_dataset(DatasetSpec(name="cifar10"))  # found unpacked, no archive
    assert len(again.splits["test"]) == 200
