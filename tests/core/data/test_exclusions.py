"""The exclusion list: images left out or relabelled without touching the files.

Tiny generated folder datasets (3 classes of 8x8 PNGs) and 60 shapes: the
list drops an image, overrides a label, the counts and class weights follow,
the split of the other images stays, a changed file is kept with a warning,
the project file round-trips (old ones unchanged), the fingerprint tells a
changed list from changed files, and an exported script applies the same list.
"""

from __future__ import annotations

import importlib.util
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core.data.dataset import class_weights
from core.data.exclusions import Exclusions
from core.data.load import open_dataset, relisted
from core.data.spec import DatasetSpec
from core.errors import ProjectFormatError
from core.project import Project, load_project, save_project
from core.training.fingerprint import data_changes, data_fingerprint

CLASSES = ["ant", "bee", "cat"]


def make_folder(root: Path, per_class: int = 10) -> Path:
    rng = np.random.default_rng(0)
    for name in CLASSES:
        (root / name).mkdir(parents=True)
        for i in range(per_class):
            pixels = rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(root / name / f"{i:02d}.png")
    return root


@pytest.fixture
def folder(tmp_path) -> DatasetSpec:
    root = make_folder(tmp_path / "pets")
    return DatasetSpec(kind="folder", name="pets", path=str(root), seed=3)


def listed(spec: DatasetSpec, add) -> DatasetSpec:
    """``spec`` with the entries ``add(exclusions, dataset)`` makes."""
    dataset = open_dataset(spec)
    return replace(spec, exclusions=add(spec.exclusions, dataset))


def test_an_excluded_image_is_dropped_and_no_other_moves(folder):
    before = open_dataset(folder)
    path, digest = before.identity("train", 0)
    assert (
        path
        == Path(before.splits["train"].paths[0]).relative_to(folder.path).as_posix()
    )
    exclusions = Exclusions().excluding(path, digest)
    after = open_dataset(replace(folder, exclusions=exclusions))
    assert before.splits["train"].paths[1:] == after.splits["train"].paths
    for split in ("validation", "test"):  # the carve is the labels' as given
        assert before.splits[split].paths == after.splits[split].paths
    assert after.cleaned("train")
    assert not after.cleaned("test")
    assert after.as_given("train").paths == before.splits["train"].paths
    assert sum(after.counts()["train"]) == sum(before.counts()["train"]) - 1


def test_an_override_changes_the_label_and_the_counts_and_weights_follow(folder):
    before = open_dataset(folder)
    labels = before.splits["train"].labels
    ants = np.nonzero(labels == 0)[0][:3]

    def relabel(exclusions, dataset):
        for i in ants:
            exclusions = exclusions.relabelling(
                *dataset.identity("train", int(i)), "cat"
            )
        return exclusions

    after = open_dataset(listed(folder, relabel))
    assert after.splits["train"].paths == before.splits["train"].paths
    assert after.splits["train"].labels[ants].tolist() == [2, 2, 2]
    counts, given = after.counts()["train"], before.counts()["train"]
    assert counts == [given[0] - 3, given[1], given[2] + 3]
    assert class_weights(counts) != class_weights(given)


def test_images_in_arrays_are_named_by_their_place_in_the_array():
    spec = DatasetSpec(name="shapes", count=60)
    before = open_dataset(spec)
    path, digest = before.identity("test", 0)
    assert path.startswith("train/")  # carved out of the generated array
    # Another split (the shapes' seed draws other images: the fractions here)
    other = replace(spec, validation_fraction=0.3, test_fraction=0.2)
    assert open_dataset(other).splits["test"].keys[0] != path
    exclusions = Exclusions().excluding(path, digest)
    after = open_dataset(replace(other, exclusions=exclusions))
    total = sum(len(s) for s in after.splits.values())
    assert total == 59
    assert all(path not in s.keys for s in after.splits.values())


def test_a_changed_or_missing_file_is_kept_with_a_warning(folder):
    spec = listed(
        folder,
        lambda e, d: e.excluding(*d.identity("train", 0)).excluding(
            "cat/gone.png", "0123456789abcdef"
        ),
    )
    changed = Path(folder.path) / spec.exclusions.entries[0].path
    Image.new("RGB", (8, 8), "red").save(changed)
    dataset = open_dataset(spec)
    assert dataset.given is None  # nothing applied: the splits are as given
    assert (
        str(changed)
        in dataset.splits["train"].paths
        + dataset.splits["validation"].paths
        + dataset.splits["test"].paths
    )
    notes = "\n".join(dataset.notes)
    assert "changed since it was listed: kept as given, not excluded" in notes
    assert "cat/gone.png is listed but not in the data" in notes


def test_the_project_file_keeps_the_list_and_old_files_load_unchanged(folder, tmp_path):
    spec = listed(
        folder,
        lambda e, d: e.excluding(*d.identity("train", 0)).relabelling(
            *d.identity("test", 0), "bee"
        ),
    )
    path = save_project(Project(dataset=spec), tmp_path / "p.cnnwb.json")
    assert load_project(path).dataset == spec
    saved = json.loads(path.read_text())["dataset"]["exclusions"]
    assert [e["action"] for e in saved] == ["exclude", "bee"]
    old = save_project(Project(dataset=folder), tmp_path / "old.cnnwb.json")
    assert "exclusions" not in json.loads(old.read_text())["dataset"]
    assert load_project(old).dataset.exclusions == Exclusions()


def test_a_damaged_list_is_refused_naming_the_entry(folder):
    data = folder.to_dict() | {"exclusions": [{"path": "a.png", "digest": 3}]}
    with pytest.raises(ProjectFormatError, match=r"dataset\.exclusions\[0\]\.digest"):
        DatasetSpec.from_dict(data)


def test_the_fingerprint_tells_a_changed_list_from_changed_files(folder):
    plain = data_fingerprint(open_dataset(folder))
    spec = listed(folder, lambda e, d: e.excluding(*d.identity("train", 0)))
    cleaned = data_fingerprint(open_dataset(spec))
    assert {k: v for k, v in cleaned.items() if k != "exclusions"} == plain
    assert cleaned["exclusions"]["excluded"] == 1
    assert data_changes(plain, cleaned) == [
        "the exclusion list: none when the run started, 1 left out, 0 relabelled now"
    ]
    assert data_changes(plain, cleaned, include_list=False) == []
    # the run's own list, read again: the same data
    assert data_changes(cleaned, data_fingerprint(open_dataset(spec))) == []


def test_an_exported_script_applies_the_same_list(folder, tmp_path, monkeypatch):
    from core.inference.python_export import write_script
    from core.training.config import TrainingConfig
    from tests.tiny_model import tiny_spec

    spec = listed(
        folder,
        lambda e, d: (
            e.excluding(*d.identity("test", 0))
            .relabelling(*d.identity("train", 2), "ant")
            .excluding("ant/gone.png", "0123456789abcdef")
        ),
    )
    app = open_dataset(spec)
    script = write_script(
        tmp_path / "out" / "pets.py", tiny_spec(3, 8), spec, TrainingConfig()
    )
    monkeypatch.syspath_prepend(str(script.parent))
    loaded = importlib.util.spec_from_file_location("pets_script", script)
    module = importlib.util.module_from_spec(loaded)
    loaded.loader.exec_module(module)
    splits, classes = module.load_data()
    assert classes == CLASSES
    for name, (paths, labels) in splits.items():
        assert list(paths) == app.splits[name].paths
        assert labels.tolist() == app.splits[name].labels.tolist()


def test_an_archive_of_the_folder_takes_the_same_list(folder, tmp_path):
    """An exported script reading CIFAR-10's .tar.gz applies the list as the app
    does to the folder it unpacks (the script warned and ignored it before)."""
    import tarfile

    from core.recipe.exclusions import listed_labels
    from core.recipe.sources import archive_splits, folder_splits

    root = Path(folder.path)
    archive = tmp_path / "pets.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(root, arcname="pets")
    dataset = open_dataset(folder)
    entries = (
        Exclusions()
        .excluding(*dataset.identity("train", 0))
        .relabelling(*dataset.identity("train", 2), "ant")
        .excluding("bee/03.png", "0123456789abcdef")  # changed since listed
        .excluding("ant/gone.png", "0123456789abcdef")
        .as_entries()
    )
    found, classes = folder_splits(root)
    packed, packed_classes = archive_splits(archive)
    assert packed_classes == classes
    labels, lines = listed_labels(found, classes, entries, root)
    packed_labels, packed_lines = listed_labels(packed, classes, entries, archive)
    assert packed_lines == lines
    assert len(lines) == 2  # the changed file and the missing one
    assert packed_labels.keys() == labels.keys()
    for split, given in labels.items():
        assert packed_labels[split].tolist() == given.tolist()
    assert (packed_labels["train"] == -1).sum() == 1


def test_a_loaded_dataset_takes_a_new_list_without_loading_again():
    spec = DatasetSpec(name="shapes", count=60)
    loaded = open_dataset(spec)
    exclusions = Exclusions().excluding(*loaded.identity("test", 0))
    exclusions = exclusions.relabelling(*loaded.identity("train", 3), "star")
    again = relisted(loaded, exclusions)
    fresh = open_dataset(replace(spec, exclusions=exclusions))
    for name, split in fresh.splits.items():
        assert again.splits[name].keys == split.keys
        assert again.splits[name].labels.tolist() == split.labels.tolist()
    assert loaded.given is None  # the one a run may still read is untouched
    cleared = relisted(again, Exclusions())
    assert cleared.given is None
    assert cleared.counts() == loaded.counts()
