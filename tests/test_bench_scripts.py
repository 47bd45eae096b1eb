"""The bench scripts still run, and docs/benchmarks.md says where its figures came from.

Nothing else runs the scripts in ``bench/``, so without this a script rots
(``bench/training_overhead.py`` once failed on a changed ``compile_model``)
while ``docs/benchmarks.md`` goes on citing it. Each script has a ``--tiny``
mode (``bench/_tiny.py``): its own code on the smallest data, in seconds.
The scripts are found by glob, so a new one without ``--tiny`` fails here.
Deselect these runs with ``-m "not bench"``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = ROOT / "docs" / "benchmarks.md"
# bench/_tiny.py and the like are helpers the scripts import, not scripts.
SCRIPTS = sorted(p for p in (ROOT / "bench").glob("*.py") if not p.name.startswith("_"))
COMMIT_LINE = re.compile(r"^Figures from commits? `?[0-9a-f]{7,40}\b", re.MULTILINE)
CITED_SCRIPT = re.compile(r"\bbench/[\w/]+\.py\b")


@pytest.mark.bench
@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_bench_script_runs_tiny(script: Path, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "QT_QPA_PLATFORM": "offscreen",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "TMPDIR": str(tmp_path),
    }
    done = subprocess.run(
        [sys.executable, str(script), "--tiny"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,  # a hang, not a slow machine: a tiny run takes seconds
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-3000:]
    assert "Traceback" not in output, output[-3000:]
    # A row a tiny run appended would name its temporary folder (reproduce.py's
    # does); comparing the whole file would fail on another writer's edit.
    assert str(tmp_path) not in BENCHMARKS.read_text(encoding="utf-8")


def _sections() -> dict[str, str]:
    """Each ``## `` heading of docs/benchmarks.md and the text under it."""
    parts = re.split(r"^(## .*)$", BENCHMARKS.read_text(encoding="utf-8"), flags=re.M)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def test_every_benchmark_section_names_its_commit() -> None:
    sections = _sections()
    assert sections
    missing = [h for h, text in sections.items() if not COMMIT_LINE.search(text)]
    assert not missing, f"no 'Figures from commit ...' line under: {missing}"


def test_every_cited_bench_script_exists() -> None:
    cited = set(CITED_SCRIPT.findall(BENCHMARKS.read_text(encoding="utf-8")))
    assert cited
    assert sorted(p for p in cited if not (ROOT / p).is_file()) == []
