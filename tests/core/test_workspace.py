"""The workspace: what File > New, a preset and a new dataset reset, without Qt."""

from __future__ import annotations

import threading
from dataclasses import replace

import numpy as np
import pytest

from core.data.dataset import Dataset, Split
from core.data.spec import DatasetSpec
from core.document import ProjectDocument
from core.presets import preset
from core.project import Project
from core.runs import RunStore
from core.spec import HeadSpec, InputSpec, LayerSpec, ModelSpec
from core.summary import unmeasured_backbone
from core.workspace import RunModelInUse, Workspace

SHAPES = DatasetSpec(name="shapes", count=60)


def images(name: str = "shapes") -> Dataset:
    split = Split(np.zeros(2, np.int64), np.zeros((2, 8, 8, 3), np.uint8))
    return Dataset(
        name, ["a", "b"], {"train": split, "validation": split, "test": split}
    )


@pytest.fixture
def workspace():
    ws = Workspace(ProjectDocument(Project(dataset=SHAPES)))
    ws.heard = []
    for name in ("reset", "dataset", "skipped", "run_moved", "run_model"):
        getattr(ws.events, name).connect(
            lambda *args, name=name: ws.heard.append((name, *args))
        )
    return ws


def shown_run_and_model(ws: Workspace):
    run = ws.run_store().create("tiny", {})
    ws.show_run(run)
    ws.set_run_model(RunModelInUse(object(), ("a", "b"), "last run"))
    ws.heard.clear()
    return run


def test_new_project_drops_the_shown_run_and_its_model(workspace):
    shown_run_and_model(workspace)
    workspace.document.load(Project())
    assert workspace.run is None
    assert workspace.run_model is None
    assert ("reset",) in workspace.heard
    assert ("run_model", None) in workspace.heard


def test_a_preset_resets(workspace):
    shown_run_and_model(workspace)
    workspace.document.set_spec(preset("mnist-convnet"))
    assert workspace.heard[0] == ("reset",)
    assert workspace.run is None


def test_a_new_dataset_in_the_document_drops_the_images_and_resets(workspace):
    workspace.set_dataset(images(), SHAPES)
    shown_run_and_model(workspace)
    workspace.document.set_dataset(replace(SHAPES, count=120))
    assert workspace.dataset is None
    assert workspace.pending_dataset == replace(SHAPES, count=120)
    assert ("reset",) in workspace.heard
    assert ("dataset", None) in workspace.heard
    assert workspace.run is None


def test_a_load_of_other_data_resets_and_its_echo_in_the_document_does_not(
    workspace,
):
    workspace.set_dataset(images(), SHAPES)
    shown_run_and_model(workspace)
    other = DatasetSpec(name="mnist")
    loaded = images("mnist")
    workspace.set_dataset(loaded, other)
    assert workspace.heard[0] == ("reset",)
    assert workspace.heard[-1] == ("dataset", loaded)
    workspace.heard.clear()
    workspace.document.set_dataset(other)  # the page writes what it loaded
    assert workspace.heard == []
    assert workspace.dataset is loaded


def test_the_same_data_loaded_again_or_found_elsewhere_keeps_the_run(
    workspace, tmp_path
):
    workspace.set_dataset(images(), SHAPES)
    run = shown_run_and_model(workspace)
    workspace.set_dataset(images(), SHAPES)
    assert workspace.run == run
    gone = DatasetSpec(kind="folder", name="pets", path=str(tmp_path / "gone"))
    workspace.document.set_dataset(gone)  # another project's folder: a reset
    run = shown_run_and_model(workspace)
    found = replace(gone, path=str(tmp_path))
    workspace.set_dataset(images(), found)  # the folder found at a new place
    workspace.document.set_dataset(found)
    assert ("reset",) not in workspace.heard
    assert workspace.run == run


def test_skipped_files_merge_into_the_loaded_dataset_once(workspace):
    data = images()
    workspace.set_dataset(data, SHAPES)
    workspace.heard.clear()
    skipped = [("a.png", "could not be decoded during training")]
    workspace.merge_skipped(data, skipped)
    workspace.merge_skipped(data, skipped)
    assert data.report.skipped == skipped
    assert workspace.heard == [("skipped", data)]
    other = images()  # a resumed run's own copy of the data
    workspace.merge_skipped(other, [("b.png", "x")])
    assert other.report.skipped == []
    assert data.report.skipped == skipped


def test_a_worker_thread_cannot_change_it(workspace):
    errors = []

    def worker():
        try:
            workspace.set_dataset(images(), SHAPES)
        except RuntimeError as exc:
            errors.append(str(exc))

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert "worker thread" in errors[0]
    assert workspace.dataset is None


def test_the_shown_run_follows_a_save_that_moves_it(workspace, tmp_path):
    run = shown_run_and_model(workspace)
    workspace.document.save(tmp_path / "p.cnnwb.json")
    moved = RunStore.beside(tmp_path / "p.cnnwb.json").root / run.name
    assert workspace.run.path == moved
    assert moved.is_dir()
    assert workspace.heard == [("run_moved", workspace.run)]


def test_one_answer_to_whether_the_backbone_is_measured(monkeypatch):
    from core import backbone_table

    monkeypatch.setattr(backbone_table, "_memory", {})  # nothing measured yet
    assert unmeasured_backbone(preset("mnist-convnet")) is None  # no backbone
    backbone = LayerSpec.create("Backbone", "backbone", {"architecture": "MobileNetV2"})
    spec = ModelSpec(InputSpec(96, 96, 3), (backbone,), HeadSpec(2), "b")
    key = backbone_table.table_key(spec)
    assert key[0] == "MobileNetV2"
    assert unmeasured_backbone(spec) == key
