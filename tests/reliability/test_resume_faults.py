"""Runs that cannot lose their best model: faults around stopping and resuming.

A kill during a resume, a full disk while the last model or the backup is
written, a damaged backup, data that changed or moved, and a signal while the
data loads. Where the fault is a kill, a real process is killed; a full disk
is simulated by patching (CI runs as root, so permissions cannot make one).
"""

from __future__ import annotations

import os
import signal
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core.cli import main
from core.data.spec import DatasetSpec
from core.project import save_project, starter_project


def image_folder(root: Path, per_class: int = 4, size: int = 16) -> Path:
    """A folder dataset of two classes of small PNGs, different in every file."""
    rng = np.random.default_rng(0)
    for name in ("cat", "dog"):
        (root / name).mkdir(parents=True)
        for i in range(per_class):
            pixels = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(root / name / f"{i:03d}.png")
    return root


@pytest.mark.parametrize(
    ("signum", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)]
)
def test_a_signal_while_the_data_loads_exits_with_the_signal_status(
    tmp_path, monkeypatch, capsys, signum, status
):
    import core.data.load as load

    folder = image_folder(tmp_path / "pets")
    spec = DatasetSpec(kind="folder", name="pets", path=str(folder))
    project = replace(starter_project(), dataset=spec)
    path = save_project(project, tmp_path / "p.cnnwb.json")
    real_scan = load.scan_folder

    def signalled_while_scanning(*args, **kwargs):
        os.kill(os.getpid(), signum)  # the user's Ctrl+C or a scheduler's SIGTERM
        return real_scan(*args, **kwargs)

    monkeypatch.setattr(load, "scan_folder", signalled_while_scanning)
    assert main(["train", str(path), "--run-dir", str(tmp_path / "runs")]) == status
    err = capsys.readouterr().err
    assert "cancelled after 0 of 8 files" in err
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())
