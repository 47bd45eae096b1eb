"""What ``python -m core train`` trains on this machine: paths and overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.data.spec import DatasetSpec
from core.errors import WorkbenchError
from core.presets import preset
from core.project import Project
from core.training.job import Overrides, for_this_machine, preset_project


def folder_project(path: str) -> Project:
    data = DatasetSpec(kind="folder", name="pets", path=path, image_size=(64, 64))
    return Project(name="p", model=preset("cats-vs-dogs-small"), dataset=data)


def test_a_relative_dataset_path_is_read_from_the_project_folder(tmp_path):
    out = for_this_machine(folder_project("data/pets"), tmp_path, Overrides())
    assert out.dataset.path == str(tmp_path / "data" / "pets")


def test_data_root_finds_data_moved_from_another_machine(tmp_path):
    moved = for_this_machine(
        folder_project("/home/someone/pets"), tmp_path, Overrides(data_root=tmp_path)
    )
    assert moved.dataset.path == str(tmp_path / "pets")
    relative = for_this_machine(
        folder_project("pets"), Path("/elsewhere"), Overrides(data_root=tmp_path)
    )
    assert relative.dataset.path == str(tmp_path / "pets")


def test_dataset_override_by_name_or_folder_keeps_size_and_split(tmp_path):
    project = folder_project("pets")
    named = for_this_machine(project, tmp_path, Overrides(dataset="mnist"))
    assert (named.dataset.kind, named.dataset.name, named.dataset.path) == (
        "builtin",
        "mnist",
        None,
    )
    assert named.dataset.image_size == (64, 64)
    other = for_this_machine(project, tmp_path, Overrides(dataset=str(tmp_path / "x")))
    assert (other.dataset.kind, other.dataset.path) == ("folder", str(tmp_path / "x"))


def test_a_folder_given_for_a_builtin_is_its_local_files(tmp_path):
    project = Project(model=preset("mnist-convnet"), dataset=DatasetSpec(name="mnist"))
    out = for_this_machine(project, tmp_path, Overrides(dataset=str(tmp_path)))
    assert (out.dataset.kind, out.dataset.name) == ("builtin", "mnist")
    assert out.dataset.path == str(tmp_path)


def test_weights_and_epochs_overrides():
    project = preset_project("vgg16-cifar10-transfer")
    out = for_this_machine(project, Path.cwd(), Overrides(weights="none", epochs=2))
    assert out.model.backbone.config["weights"] == "none"
    assert out.training.epochs == 2
    with pytest.raises(WorkbenchError, match="no backbone"):
        for_this_machine(
            preset_project("mnist-convnet"), Path.cwd(), Overrides(weights="w.h5")
        )
    with pytest.raises(WorkbenchError, match="at least 1"):
        for_this_machine(project, Path.cwd(), Overrides(epochs=0))


def test_a_project_without_data_says_how_to_give_it():
    with pytest.raises(WorkbenchError, match="--dataset"):
        for_this_machine(Project(), Path.cwd(), Overrides())
