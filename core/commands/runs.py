"""``python -m core runs PROJECT_FILE [--json]``: the runs the Runs tab lists.

One row per run, oldest first: when it started, epochs run, why it stopped,
the best epoch with its validation figures, the test accuracy and the model
it belongs to (the run's best model; "final weights" for an older run tested
before the best model was the run's). A run folder that cannot be read is
listed as ``damaged``, with why below the table; the others are listed as
usual.

Examples:
  python -m core runs my.cnnwb.json
  python -m core runs my.cnnwb.json --json > runs.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from core.errors import WorkbenchError
from core.runs import COMPARE_COLUMNS, RunStore


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "runs",
        help="list a project's training runs",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("project", help="a project file (.cnnwb.json)")
    parser.add_argument("--json", action="store_true", help="print JSON rows")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    project = Path(args.project)
    if not project.is_file():
        raise WorkbenchError(f"{project}: no such project file")
    rows = RunStore.beside(project).compare()
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    if not rows:
        print(f"{project.name} has no runs yet")
        return 0
    table = [[_cell(row[c]) for c in COMPARE_COLUMNS] for row in rows]
    widths = [
        max(len(c), *(len(r[i]) for r in table)) for i, c in enumerate(COMPARE_COLUMNS)
    ]
    for line in [list(COMPARE_COLUMNS), *table]:
        print("  ".join(v.ljust(w) for v, w in zip(line, widths, strict=True)).rstrip())
    for row in rows:
        if "problem" in row:
            print(f"{row['run']}: {row['problem']}")
    return 0


def _cell(value: object) -> str:
    return "-" if value is None else str(value)
