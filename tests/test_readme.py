"""The README's first two commands are the ones CI and new users run."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```sh\n(.+?)\n```", text)[:2]


def test_readme_opens_with_install_and_test_commands():
    run, test = commands()
    assert run.startswith("pip install -e .")
    assert run.endswith("python main.py")
    assert test.startswith('pip install -e ".[test]"')
    assert "pytest" in test


def test_ci_runs_the_readme_test_command():
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "python3 -m venv" in script
    assert "README.md" in script


def test_readme_is_read_in_two_minutes_and_the_reference_lives_in_the_guide():
    """A newcomer's page (#24): under 150 lines; the page-by-page reference is
    docs/guide.md, which the README links, as it links every doc it names."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(text.splitlines()) < 150
    linked = re.findall(r"\]\(([^)]+)\)", text)
    assert "docs/guide.md" in linked
    for target in linked:
        assert (ROOT / target).is_file(), target
