"""``python -m core presets``: list the bundled presets with their totals.

Never imports TensorFlow: backbone presets ship their totals (``core.presets``).

Examples:
  python -m core presets
  python -m core train --preset mnist-convnet     # train one of them headless
"""

from __future__ import annotations

import argparse

from core.presets import all_presets


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "presets",
        help="list bundled model presets",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    presets = all_presets()
    width = max(len(name) for name in presets)
    for name, p in presets.items():
        s = p.spec.input
        total = p.total()
        print(
            f"{name:<{width}}  {s.height}x{s.width}x{s.channels}  "
            f"{p.spec.head.num_classes:>3} classes  {total:>10,} params  {p.title}"
        )
    return 0
