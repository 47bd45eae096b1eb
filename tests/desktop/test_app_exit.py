"""After a training run the app exits with status 0, as ``desktop.app.main`` leaves."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.tiny_model import saved_tiny_project

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_the_app_exits_0_after_a_training_run(tmp_path):
    path = saved_tiny_project(tmp_path, "exit")
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "PYTHONPATH": str(ROOT),
        "PYTHONFAULTHANDLER": "1",
    }
    result = subprocess.run(
        [
            sys.executable,
            str(Path(__file__).with_name("train_then_quit.py")),
            str(path),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "trained" in result.stdout, result.stdout + result.stderr
    assert "deallocating" not in result.stderr
    assert "Fatal Python error" not in result.stderr
    assert result.returncode == 0, result.stderr[-3000:]
