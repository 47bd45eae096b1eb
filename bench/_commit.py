"""The commit a bench script's figures come from.

Every section of docs/benchmarks.md names it on a ``Figures from commit ...``
line (``tests/test_bench_scripts.py`` checks), so a figure can be traced to the
code that produced it; the scripts that write a section write that line too.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def figures_line() -> str:
    """``Figures from commit abc1234.``, saying so when the code had edits."""
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    commit = head.stdout.strip() if head.returncode == 0 else "unknown"
    edited = subprocess.run(
        ["git", "diff", "--quiet", "HEAD", "--", "core", "desktop", "bench"],
        cwd=ROOT,
        check=False,
    ).returncode
    note = " with uncommitted changes to core, desktop or bench" if edited else ""
    return f"Figures from commit {commit}{note}."
