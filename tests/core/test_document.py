"""ProjectDocument: the open project's one state, without Qt.

Its events are what every view follows, so their order matters as much as the
values: a Qt model asks for rows while they change, and the summary must
already describe the list it sees.
"""

from __future__ import annotations

import json
import threading

import pytest

from core.data.spec import DatasetSpec
from core.document import ProjectDocument
from core.paths import user_data_dir
from core.presets import preset
from core.project import Project, load_project
from core.run_folders import move_runs
from core.run_lock import locked_run
from core.runs import RunStore
from core.spec import HeadSpec, InputSpec
from core.training.config import TrainingConfig


def cifar() -> ProjectDocument:
    return ProjectDocument(Project(model=preset("cifar10-simple-cnn")))


def record(doc: ProjectDocument) -> list[tuple]:
    log: list[tuple] = []
    for name in ("inserting", "inserted", "removing", "removed", "moving", "moved"):
        getattr(doc.layers.events, name).connect(
            lambda *args, n=name: log.append((n, args[0]))
        )
    doc.layers.events.changed.connect(lambda i, *_: log.append(("replaced", i)))
    for name in ("input", "head", "dataset", "model", "changed", "dirty", "loaded"):
        getattr(doc.events, name).connect(lambda *_, n=name: log.append((n,)))
    return log


def test_layer_edits_announce_before_and_after_then_the_model():
    doc = ProjectDocument()
    log = record(doc)
    seen_summary = []
    doc.layers.events.inserted.connect(
        lambda *_: seen_summary.append(len(doc.summary.layers))
    )
    doc.insert_layer(0, doc.new_layer("Conv2D"))
    assert log == [
        ("inserting", 0),
        ("inserted", 0),
        ("model",),
        ("dirty",),
        ("changed",),
    ]
    assert seen_summary == [2]  # a view ending its insert sees the new row's report
    log.clear()
    doc.insert_layer(1, doc.new_layer("Conv2D"))
    doc.insert_layer(2, doc.copy_of(0))
    doc.move_layer(2, 0)
    doc.replace_layer(1, doc.layers[1].with_options(filters=8))
    removed = doc.remove_layer(0)
    assert [x.name for x in doc.layers] == ["conv2d_1", "conv2d_2"]
    assert removed.name == "conv2d_3"
    structural = [e for e in log if e[0] not in ("model", "changed", "dirty")]
    assert structural == [
        ("inserting", 1),
        ("inserted", 1),
        ("inserting", 2),
        ("inserted", 2),
        ("moving", 2),
        ("moved", 2),
        ("replaced", 1),
        ("removing", 0),
        ("removed", 0),
    ]
    assert log.count(("model",)) == 5


def test_duplicate_names_are_refused():
    doc = ProjectDocument()
    layer = doc.new_layer("Dense")
    doc.insert_layer(0, layer)
    with pytest.raises(ValueError, match="already in the model"):
        doc.insert_layer(1, layer)


def test_summary_follows_input_head_and_spec():
    doc = cifar()
    assert doc.summary.total == 122_570
    doc.set_head(HeadSpec(num_classes=2))  # one sigmoid unit: 65 weights
    assert doc.summary.total == 122_570 - 650 + 65
    doc.set_input(InputSpec(34, 34, 3))
    assert doc.summary.layers[1].output_shape == (32, 32, 32)
    doc.set_spec(preset("mnist-convnet"))
    assert doc.summary.total == 93_322


def test_apply_dataset_is_one_step():
    doc = cifar()
    log = record(doc)
    doc.apply_dataset(DatasetSpec(name="mnist"), InputSpec(28, 28, 1), HeadSpec(10))
    assert log == [
        ("dataset",),
        ("input",),
        ("model",),
        ("dirty",),
        ("changed",),
    ]
    assert (doc.dataset.name, doc.input.shape) == ("mnist", (28, 28, 1))


def test_undoing_every_edit_is_clean_again_and_mark_dirty_sticks():
    doc = cifar()
    dirty = []
    doc.events.dirty.connect(dirty.append)
    doc.set_training(TrainingConfig(epochs=3))
    doc.set_training(TrainingConfig())
    assert dirty == [True, False]
    doc.mark_dirty()  # e.g. restored from an autosave: not on disk
    doc.set_training(TrainingConfig(epochs=3))
    doc.set_training(TrainingConfig())
    assert doc.dirty


def test_save_open_round_trip_through_files(tmp_path):
    doc = cifar()
    doc.set_dataset(DatasetSpec(name="mnist"))
    path = doc.save(tmp_path / "p.cnnwb.json")
    assert not doc.dirty
    assert doc.path == path
    again = ProjectDocument.open(path)
    assert again.project() == doc.project()
    assert not again.dirty
    with pytest.raises(ValueError, match="never been saved"):
        ProjectDocument().save()


def test_a_script_opens_changes_and_saves_a_project_as_the_app_does(tmp_path):
    """The same calls the window makes: open, edit, save; the file holds it."""
    path = tmp_path / "digits.cnnwb.json"
    ProjectDocument(Project("digits", preset("mnist-convnet"))).save(path)
    doc = ProjectDocument.open(path)
    doc.insert_layer(len(doc.layers), doc.new_layer("Dropout"))
    doc.set_training(TrainingConfig(epochs=2))
    doc.save()
    saved = load_project(path)
    assert saved.model.layers[-1].class_name == "Dropout"
    assert saved.training.epochs == 2
    assert json.loads(path.read_text())["name"] == "digits"


def test_changes_from_another_thread_are_refused():
    doc = cifar()
    errors = []

    def worker():
        for change in (
            lambda: doc.set_training(TrainingConfig(epochs=1)),
            lambda: doc.insert_layer(0, doc.new_layer("Dropout")),
            lambda: doc.remove_layer(0),
            lambda: doc.replace_layer(0, doc.layers[0]),
        ):
            try:
                change()
            except RuntimeError as exc:
                errors.append(str(exc))

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert len(errors) == 4
    assert "worker thread" in errors[0]
    assert doc.project() == cifar().project()


def test_unsaved_projects_have_runs_folders_of_their_own(tmp_path):
    a, b = ProjectDocument(), ProjectDocument()
    assert a.runs_dir != b.runs_dir
    a.save(tmp_path / "a.cnnwb.json")
    assert a.runs_dir == RunStore.beside(tmp_path / "a.cnnwb.json").root


def test_first_save_moves_finished_runs_and_a_running_one_when_it_ends(tmp_path):
    doc = ProjectDocument()
    store = RunStore(doc.runs_dir)
    done = store.create("done", {})
    running = store.create("running", {})
    with locked_run(running.path):
        doc.save(tmp_path / "p.cnnwb.json")
        beside = RunStore.beside(doc.path)
        assert [r.path.name for r in beside.list()] == [done.path.name]
        assert running.path.is_dir()  # still training: it stays
    assert [p.name for p in doc.adopt_untitled_runs()] == [running.path.name]
    assert len(beside.list()) == 2
    assert not doc.untitled_runs_dir.exists()


def test_runs_an_older_version_kept_in_the_shared_untitled_folder_are_adopted():
    """Before unsaved projects had folders of their own, their runs went to
    ``runs/untitled``, which no view lists any more: a new unsaved project
    takes them in, so its Runs tab shows them and a save moves them along."""
    legacy = RunStore(user_data_dir() / "runs" / "untitled")
    old = legacy.create("old", {})
    doc = ProjectDocument()
    assert [p.name for p in doc.adopt_legacy_runs()] == [old.path.name]
    assert [r.path.name for r in RunStore(doc.runs_dir).list()] == [old.path.name]
    assert not legacy.root.exists()
    assert ProjectDocument().adopt_legacy_runs() == []  # nothing left to adopt


def test_move_runs_never_mixes_two_runs_of_one_name(tmp_path):
    source, target = tmp_path / "a", tmp_path / "b"
    (source / "r1").mkdir(parents=True)
    (source / "r1" / "config.json").write_text("{}")
    (target / "r1").mkdir(parents=True)
    moved = move_runs(source, target)
    assert [p.name for p in moved] == ["r1-2"]
    assert (target / "r1-2" / "config.json").is_file()
    assert not source.exists()
