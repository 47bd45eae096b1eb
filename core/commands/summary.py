"""``python -m core summary``: a Keras-style table for a preset or project file.

Never imports TensorFlow: the numbers come from ``core.summary``, which the
test-suite holds equal to Keras.
"""

from __future__ import annotations

import argparse
import sys

from core.presets import preset
from core.project import load_project
from core.spec import ModelSpec
from core.summary import format_table, summarize


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "summary",
        help="print layers, output shapes and parameter counts",
        description=__doc__,
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("project", nargs="?", help="a project file (.cnnwb.json)")
    source.add_argument("--preset", metavar="NAME", help="a bundled preset")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    spec: ModelSpec = (
        preset(args.preset) if args.preset else load_project(args.project).model
    )
    summary = summarize(spec)
    if not summary.is_valid:
        for index, name, message in summary.errors:
            where = "input" if index < 0 else f"layer {index + 1} ({name})"
            print(f"invalid: {where}: {message}", file=sys.stderr)
        return 1
    print(format_table(spec, summary))
    return 0
