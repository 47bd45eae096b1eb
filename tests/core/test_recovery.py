"""Recovery files: written, read back, cleared; a broken one is set aside, not lost."""

from __future__ import annotations

from pathlib import Path

from core.document import ProjectDocument
from core.presets import preset
from core.project import Project
from core.recovery import clear_recovery, read_recovery, recovery_path, write_recovery


def test_write_read_clear():
    project = Project(name="crashy", model=preset("mnist-convnet"))
    doc = ProjectDocument(project, path=Path("/somewhere/crashy.cnnwb.json"))
    write_recovery(doc)
    found = read_recovery()
    assert found is not None
    assert found.project == project
    assert found.original_path == "/somewhere/crashy.cnnwb.json"
    clear_recovery()
    assert read_recovery() is None


def test_unreadable_recovery_is_kept_aside():
    recovery_path().write_text("{ half written")
    assert read_recovery() is None
    assert recovery_path().with_suffix(".unreadable").read_text() == "{ half written"


def test_an_unsaved_project_comes_back_with_its_runs_folder():
    doc = ProjectDocument(Project(model=preset("mnist-convnet")))
    write_recovery(doc)
    found = read_recovery()
    restored = ProjectDocument()
    restored.load(found.project, None, found.scratch_id)
    assert restored.runs_dir == doc.runs_dir
    assert found.original_path is None
