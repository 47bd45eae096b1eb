"""Project files: round trip, atomic save, and strict refusal naming the field."""

from __future__ import annotations

import json

import pytest

from core.errors import ProjectFormatError, WorkbenchError
from core.presets import preset
from core.project import Project, load_project, save_project


@pytest.fixture
def project():
    return Project(name="demo", model=preset("fashion-mnist-vgg"))


def test_round_trip(tmp_path, project):
    path = save_project(project, tmp_path / "demo.cnnwb.json")
    assert load_project(path) == project
    data = json.loads(path.read_text())
    assert data["schema_version"] == 1
    assert data["model"]["layers"][1] == {
        "class_name": "Conv2D",
        "config": {
            "name": "conv2d_1",
            "filters": 32,
            "kernel_size": [3, 3],
            "strides": [1, 1],
            "padding": "same",
            "dilation_rate": [1, 1],
            "activation": "relu",
            "use_bias": True,
        },
    }


def test_save_is_atomic_when_writing_fails(tmp_path, project, monkeypatch):
    path = save_project(project, tmp_path / "p.cnnwb.json")
    before = path.read_text()

    def boom(*args):
        raise OSError("disk full")

    monkeypatch.setattr("os.replace", boom)
    with pytest.raises(OSError, match="disk full"):
        save_project(Project(name="other"), path)
    assert path.read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["p.cnnwb.json"]


def _mutated(project, edit):
    data = project.to_dict()
    edit(data)
    return data


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (lambda d: d.update(format="something-else"), "format"),
        (lambda d: d.update(schema_version=99), "schema_version"),
        (lambda d: d.update(schema_version="1"), "schema_version"),
        (lambda d: d.pop("model"), "model"),
        (lambda d: d["model"]["input"].update(height=-3), "model.input.height"),
        (lambda d: d["model"]["input"].update(channels=2), "model.input"),
        (lambda d: d["model"].update(layers={}), "model.layers"),
        (
            lambda d: d["model"]["layers"][4]["config"].update(rate=1.5),
            "model.layers[4].config.rate",
        ),
        (
            lambda d: d["model"]["layers"][3]["config"].update(kernel=3),
            "model.layers[3].config.kernel",
        ),
        (
            lambda d: d["model"]["layers"][1].update(class_name="Conv3D"),
            "model.layers[1].class_name",
        ),
        (
            lambda d: d["model"]["layers"][2]["config"].update(name="conv2d_1"),
            "model.layers[2].config.name",
        ),
        (lambda d: d["model"]["head"].update(num_classes=1), "model.head.num_classes"),
        (lambda d: d["model"]["head"].update(binary="tanh"), "model.head.binary"),
    ],
)
def test_damaged_project_names_the_field(project, edit, field):
    with pytest.raises(ProjectFormatError) as info:
        Project.from_dict(_mutated(project, edit))
    assert info.value.field == field


def test_not_json_and_missing_file(tmp_path):
    bad = tmp_path / "bad.cnnwb.json"
    bad.write_text('{"format": "cnn-workbench-project", ')
    with pytest.raises(WorkbenchError, match="not valid JSON at line 1"):
        load_project(bad)
    with pytest.raises(WorkbenchError, match="no such file"):
        load_project(tmp_path / "missing.json")
    bad.write_text("[1, 2]")
    with pytest.raises(ProjectFormatError, match="not a CNN Workbench project"):
        load_project(bad)


def test_dataset_section_round_trips_and_is_validated(tmp_path):
    from core.data.spec import DatasetSpec
    from core.presets import starter_project

    project = starter_project()
    assert project.dataset == DatasetSpec(name="shapes")
    folder = Project(
        model=preset("cats-vs-dogs-small"),
        dataset=DatasetSpec(
            kind="folder", name="pets", path=str(tmp_path), image_size=(150, 150)
        ),
    )
    path = save_project(folder, tmp_path / "pets.cnnwb.json")
    assert load_project(path) == folder
    data = folder.to_dict()
    data["dataset"]["test_fraction"] = 1.5
    with pytest.raises(ProjectFormatError) as info:
        Project.from_dict(data)
    assert info.value.field == "dataset.test_fraction"


def test_augmentation_section_round_trips(tmp_path):
    from core.augmentation.config import PRESETS

    project = Project(model=preset("mnist-convnet"), augmentation=PRESETS["light"])
    path = save_project(project, tmp_path / "a.cnnwb.json")
    assert load_project(path).augmentation == PRESETS["light"]
    data = project.to_dict()
    data["augmentation"]["rotation"] = 500
    with pytest.raises(ProjectFormatError) as info:
        Project.from_dict(data)
    assert info.value.field == "augmentation.rotation"
