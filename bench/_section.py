"""A bench script's section of docs/benchmarks.md: its frame and where it goes.

Every section opens the same way (a heading naming the script, then the
commit its figures come from), says when and by which command it was
measured, and is appended to docs/benchmarks.md with ``--write`` or printed
otherwise; the scripts share these pieces so the sections stay alike.
"""

from __future__ import annotations

import time
from pathlib import Path

from _commit import figures_line

BENCHMARKS = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"


def heading(title: str, script: str) -> list[str]:
    """The section's first lines: ``## title (bench/script)`` and the commit line."""
    return ["", f"## {title} (bench/{script})", "", figures_line(), ""]


def date_and_command(script: str, options: str) -> list[str]:
    """The ``- Date:`` and ``- Command:`` lines, the command as it is rerun."""
    return [
        f"- Date: {time.strftime('%Y-%m-%d')}",
        f"- Command: `nice python bench/{script} {options} --write`",
    ]


def publish(lines: list[str], write: bool) -> None:
    """Append the section to docs/benchmarks.md (``--write``), else print it."""
    if write:
        with BENCHMARKS.open("a") as f:
            f.write("\n".join(lines))
    else:
        print("\n".join(lines))
