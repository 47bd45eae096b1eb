"""The benchmark scripts still run: each one's ``--tiny`` mode, end to end.

Not timed: a bench's figures are recorded in docs/benchmarks.md by hand.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ARCHIVE = Path("/work/shared/datasets/cifar-10-jpg/cifar-10-jpg.tar.gz")


@pytest.mark.slow
@pytest.mark.skipif(not ARCHIVE.exists(), reason="needs the CIFAR-10 JPEG archive")
def test_predict_folder_tiny(tmp_path):
    command = [sys.executable, "bench/predict_folder.py", "--tiny", "--work", tmp_path]
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "images: 20 CIFAR-10 test JPEGs" in done.stdout
    assert "ratio: " in done.stdout
