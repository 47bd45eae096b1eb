"""``python -m core presets``: list the bundled presets with their totals."""

from __future__ import annotations

import argparse

from core.presets import all_presets
from core.summary import summarize


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "presets", help="list bundled model presets", description=__doc__
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    presets = all_presets()
    width = max(len(name) for name in presets)
    for name, p in presets.items():
        s = p.spec.input
        total = summarize(p.spec).total
        print(
            f"{name:<{width}}  {s.height}x{s.width}x{s.channels}  "
            f"{p.spec.head.num_classes:>3} classes  {total:>10,} params  {p.title}"
        )
    return 0
