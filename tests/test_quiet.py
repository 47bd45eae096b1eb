"""The README's ``pytest`` stays quiet, so a new warning is seen (#24).

At d147374 it ended with 10,358 warnings, nearly all one of Keras's, and no
reader could spot a new one. ``pyproject.toml`` now filters each dependency's
warning by message and module; tests that caused their own are fixed. This
runs, in a fresh pytest, one test of each kind that warned before (a Keras
save, a widget's deletion) and counts the warnings its summary reports.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# One test per source of the old noise: a model saved by Keras (one NumPy
# deprecation per variable), a widget waited on until destroyed (pytest-qt's
# failed disconnect).
SAMPLE = [
    "tests/core/training/test_checkpoint_record.py",
    "tests/desktop/test_training_form.py::"
    "test_a_destroyed_form_stops_following_the_document",
]


def test_a_sample_of_the_suite_ends_without_warnings(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
    pytest = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    done = subprocess.run(
        [*pytest, "--basetemp", str(tmp_path / "inner"), *SAMPLE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    summary = done.stdout.strip().splitlines()[-1]
    assert done.returncode == 0, done.stdout[-3000:]
    assert re.search(r"\b3 passed\b", summary), summary
    assert "warning" not in summary, done.stdout[-3000:]
