"""Every ``python -m core`` command explains itself with an example."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
COMMANDS = sorted(build_parser()._subparsers._group_actions[0].choices)


@pytest.mark.parametrize("command", COMMANDS)
def test_help_has_an_example(command, capsys):
    with pytest.raises(SystemExit) as done:
        build_parser().parse_args([command, "--help"])
    assert done.value.code == 0
    text = capsys.readouterr().out
    assert "Examples:" in text
    assert f"python -m core {command}" in text.split("Examples:")[1]


def test_readme_lists_every_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for command in COMMANDS:
        assert f"python -m core {command} " in readme, command


def test_predict_prints_no_tensorflow_start_up_log(tmp_path):
    """oneDNN/CUDA/CPU-instruction lines went to the terminal before the answer."""
    done = subprocess.run(
        [sys.executable, "-m", "core", "predict", str(tmp_path / "none.keras"), "x"],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 1
    assert done.stderr.splitlines() == ["error: x: no such file or folder"]
