"""Quit ends the process within seconds, also after TensorFlow has trained.

The window closed at once, but the process stayed 5 to 70 s: Python's exit
tore down everything TensorFlow had made. ``python main.py`` runs as a user
runs it, in its own process; a ``sitecustomize`` hook trains one run and then
closes the window (``newcomer_quit_hook``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from configparser import ConfigParser
from pathlib import Path

import pytest

from core.runs import RunStore
from tests.tiny_model import saved_tiny_project

ROOT = Path(__file__).resolve().parents[2]
GONE_WITHIN_S = 5.0


@pytest.mark.slow
def test_quit_after_a_run_ends_the_process_within_seconds(tmp_path):
    path = saved_tiny_project(tmp_path, "quit")
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text("import tests.desktop.newcomer_quit_hook\n")
    data = tmp_path / "data"
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "PYTHONPATH": os.pathsep.join([str(hook), str(ROOT)]),
        "CNN_WORKBENCH_DATA_DIR": str(data),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    errors = tmp_path / "stderr.txt"
    with errors.open("w") as stderr:
        app = subprocess.Popen(
            [sys.executable, "main.py", str(path)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
    try:
        line = app.stdout.readline()  # "trained": the window closes next
        assert line.strip() == "trained", line + errors.read_text()[-3000:]
        try:
            app.wait(timeout=GONE_WITHIN_S)
        except subprocess.TimeoutExpired:
            pytest.fail(f"still running {GONE_WITHIN_S} s after the run closed it")
    finally:
        app.kill()
        app.communicate()
    assert app.returncode == 0, errors.read_text()[-3000:]
    # Nothing lost: the run's history and the window's settings are written.
    [run] = RunStore.beside(path).list()
    assert len(run.history()["loss"]) == 1
    settings = ConfigParser()
    settings.read(data / "settings.ini")
    assert settings.has_option("window", "geometry")
