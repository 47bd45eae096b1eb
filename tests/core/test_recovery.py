"""Recovery files: written, read back, cleared; a broken one is set aside, not lost."""

from __future__ import annotations

from core.presets import preset
from core.project import Project
from core.recovery import clear_recovery, read_recovery, recovery_path, write_recovery


def test_write_read_clear():
    project = Project(name="crashy", model=preset("mnist-convnet"))
    write_recovery(project, "/somewhere/crashy.cnnwb.json")
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
