"""bench/predict_folder.py still runs: its ``--tiny`` mode, end to end.

Not timed: the bench's figures are recorded in docs/benchmarks.md by hand.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_predict_folder_tiny(tmp_path):
    done = subprocess.run(
        [sys.executable, "bench/predict_folder.py", "--tiny"],
        cwd=ROOT,
        env={**os.environ, "TMPDIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "images: 20 random JPEGs" in done.stdout
    assert "ratio: " in done.stdout
    assert list(tmp_path.glob("predict-folder-*")) == []  # its folder is removed
