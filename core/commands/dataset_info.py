"""``python -m core dataset-info SOURCE [--quick]``: what a dataset holds.

SOURCE is a built-in name (shapes, mnist, fashion-mnist, cifar10) or a folder.
Prints class names, per-class counts for each split, image sizes and channels,
mean/std, and the skipped-file report; warns on stderr about classes with no
validation or test images, strong imbalance, and built-in files that are not
the official ones. Folders are fully decoded (all cores, progress on stderr)
unless ``--quick`` asks for the header scan alone.

Examples:
  python -m core dataset-info fashion-mnist
  python -m core dataset-info ~/pets --quick
  python -m core dataset-info mnist --local ~/data/mnist
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from core.data.builtin import BUILTIN_NAMES


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "dataset-info",
        help="class names, counts per split, sizes and skipped files of a dataset",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("source", help=f"{', '.join(BUILTIN_NAMES)}, or a folder")
    parser.add_argument(
        "--quick", action="store_true", help="read file headers only; do not decode"
    )
    parser.add_argument(
        "--local",
        metavar="PATH",
        help="for a built-in: local files to use instead of downloading",
    )
    parser.add_argument("--seed", type=int, default=0, help="split seed (default 0)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from core.data.images import printable_path
    from core.data.load import open_dataset
    from core.data.spec import DatasetSpec
    from core.data.stats import compute_stats

    if args.source in BUILTIN_NAMES:
        spec = DatasetSpec(name=args.source, path=args.local, seed=args.seed)
    else:
        spec = DatasetSpec(
            kind="folder",
            name=Path(args.source).name,
            path=args.source,
            seed=args.seed,
        )
    dataset = open_dataset(spec, _progress_bar, verify=not args.quick)
    print(file=sys.stderr)
    stats = compute_stats(dataset)
    width = max(len(n) for n in dataset.class_names)
    print(f"dataset: {dataset.name} ({dataset.num_classes} classes)")
    print(f"{'class':<{width}}  {'train':>7} {'validation':>10} {'test':>7}")
    for i, name in enumerate(dataset.class_names):
        row = [stats.counts[s][i] for s in ("train", "validation", "test")]
        print(f"{name:<{width}}  {row[0]:>7,} {row[1]:>10,} {row[2]:>7,}")
    totals = [sum(stats.counts[s]) for s in ("train", "validation", "test")]
    print(f"{'total':<{width}}  {totals[0]:>7,} {totals[1]:>10,} {totals[2]:>7,}")
    sizes = ", ".join(f"{h}x{w} ({n:,})" for (h, w), n in sorted(stats.sizes.items()))
    channels = ", ".join(f"{c} ({n:,})" for c, n in sorted(stats.channels.items()))
    print(f"image sizes (h x w): {sizes}")
    print(f"channels: {channels}")
    print(
        f"mean: {list(stats.mean)}  std: {list(stats.std)} "
        f"(0-255, from {stats.sample_size} images)"
    )
    print(f"class imbalance (largest/smallest): {stats.imbalance:.2f}")
    check = "full decode" if dataset.report.verified else "headers only"
    print(f"skipped files: {len(dataset.report.skipped)} ({check})")
    for path, reason in dataset.report.skipped:
        print(f"  {printable_path(path)}: {reason}")
    for warning in stats.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return 0


def _progress_bar(fraction: float, text: str) -> None:
    filled = int(fraction * 30)
    sys.stderr.write(
        f"\r[{'#' * filled}{'.' * (30 - filled)}] {fraction:4.0%} {text:<40}"
    )
    sys.stderr.flush()
