"""Files a user keeps get the permissions a normal save gives, not mkstemp's 0600."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from core.presets import starter_project
from core.project import save_project


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_project_file_gets_the_mode_a_plain_save_would(tmp_path):
    path = save_project(starter_project(), tmp_path / "new.cnnwb.json")
    plain = tmp_path / "plain.txt"
    plain.write_text("x")
    assert mode(path) == mode(plain) == 0o666 & ~_umask()


def test_replacing_a_file_keeps_its_mode(tmp_path):
    path = tmp_path / "shared.cnnwb.json"
    save_project(starter_project(), path)
    os.chmod(path, 0o664)
    save_project(starter_project(), path)
    assert mode(path) == 0o664


def test_run_files_and_models_are_readable_as_a_plain_save_leaves_them(tmp_path):
    import keras

    from core.inference.export import export_keras
    from core.runs import RunStore
    from core.training.checkpoint import save_model

    run = RunStore(tmp_path / "runs").create("m", {"model": {}})
    expected = 0o666 & ~_umask()
    assert mode(run.path / "config.json") == expected
    model = keras.Sequential(
        [
            keras.Input((4, 4, 3)),
            keras.layers.Flatten(),
            keras.layers.Dense(2, activation="softmax"),
        ]
    )
    save_model(model, run.path / "best.keras", ["a", "b"])
    assert mode(run.path / "best.keras") == expected
    out = tmp_path / "exported.keras"
    out.write_bytes(b"")
    os.chmod(out, 0o640)
    export_keras(model, out, ["a", "b"])
    assert mode(out) == 0o640
