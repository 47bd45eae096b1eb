"""``python -m core data-quality RUN_DIR``: likely wrong labels, duplicates and leaks.

The same report as the app's (``core.data_quality``; what each part computes
and its thresholds: docs/data-quality.md), from the run folder alone: the
run's recorded model, data and settings. The full report trains fold models
to judge the training images out of sample (about the run's own cost); with
``--quick`` only the validation and test images are checked for wrong
labels, by the run's model. Duplicates and leaks (a validation or test image
that is also in train) are looked for over every split in both.

The report is kept in the run folder (``RUN_DIR/data-quality/full.json`` or
``quick.json``) and printed from there the next time, without recomputing;
``--recompute`` makes it afresh. A run whose data changed since it trained is
refused, naming what changed. Needs the ``quality`` extra (cleanlab):
``pip install -e ".[quality]"``.

Examples:
  python -m core data-quality my.runs/20261207-101500-cnn
  python -m core data-quality my.runs/20261207-101500-cnn --quick --json

Exit status: 0 the report printed; 1 a user error (not a run, no model,
changed data, cleanlab missing); 130 stopped by Ctrl+C (143 SIGTERM).
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from typing import Any

SHOWN = 20  # label issues and pairs printed; --json has them all


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "data-quality",
        help="likely wrong labels, duplicates and train/test leaks of a run",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("run", help="a run folder")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="check only the validation and test images' labels, with the run's "
        "model (no fold models: seconds instead of about a run's time)",
    )
    parser.add_argument("--json", action="store_true", help="print the whole report")
    parser.add_argument(
        "--recompute",
        action="store_true",
        help="make the report afresh even when the run folder keeps one",
    )
    parser.add_argument(
        "--verbose", action="store_true", help="show TensorFlow's own log lines"
    )
    parser.set_defaults(func=run, uses_tensorflow=True)


def run(args: argparse.Namespace) -> int:
    from core.data_quality.report import FULL, QUICK, load_report

    mode = QUICK if args.quick else FULL
    report = None if args.recompute else load_report(args.run, mode)
    if report is None:
        report, status = _build(args)
        if report is None:
            return status
    else:
        print(f"kept from {report.when} (--recompute: afresh)", file=sys.stderr)
    if args.json:
        print(json.dumps(report.to_dict(), indent=1))
    else:
        print(as_text(report))
    return 0


def _build(args: argparse.Namespace) -> tuple[Any, int]:
    """The report made afresh, or None and the exit status of a stop."""
    from core.data_quality.build import build_report
    from core.data_quality.progress import ReportCancelled
    from core.errors import WorkbenchError
    from core.training.interrupt import stop_on_signals

    cancel = threading.Event()
    with stop_on_signals(cancel) as interrupt:
        try:
            return build_report(
                args.run, quick=args.quick, listener=_Progress(), cancel=cancel
            ), 0
        except ReportCancelled:
            print("stopped: no report was kept", file=sys.stderr)
            return None, interrupt.exit_code or 130
        except WorkbenchError:
            if interrupt.exit_code is None:
                raise
            print("stopped: no report was kept", file=sys.stderr)
            return None, interrupt.exit_code


def as_text(report: Any) -> str:
    """The report as a person reads it: what was checked, then each finding."""
    images = ", ".join(f"{n:,} {s}" for s, n in report.images.items() if n)
    lines = [
        f"data-quality report of {report.run} ({report.mode}, {report.seconds:.0f} s)",
        f"images         {images}",
        f"checked        {report.checked}",
        *(f"note           {note}" for note in report.notes),
        "",
        f"likely wrong labels: {len(report.flagged):,} flagged of "
        f"{len(report.labels):,} checked (likeliest first)",
    ]
    lines += [
        f"  {i.image.file}  {i.given} -> {i.suggested} ({i.confidence:.0%})  "
        f"quality {i.quality:.3f}"
        for i in report.flagged[:SHOWN]
    ]
    lines += _more(len(report.flagged))
    lines += [
        "",
        f"duplicates: {len(report.duplicates):,} pairs, {len(report.leaks):,} of "
        "them leaks (a held-out image also in train)",
    ]
    lines += [
        f"  {p.where:<16} {p.first.file}  {p.second.file}  "
        + ("exact" if p.exact else f"{p.hash_bits} bits, {p.pixel_distance:.1f} grey")
        for p in report.duplicates[:SHOWN]
    ]
    lines += _more(len(report.duplicates))
    lines += ["", "most confused classes (checked images: a as b, b as a)"]
    lines += [
        f"  {c.first} / {c.second}  {c.first_as_second} / {c.second_as_first}"
        for c in report.confused[:5]
    ]
    lines += ["", "hardest examples per class (probability of the given class)"]
    for name, examples in report.hardest.items():
        shown = ", ".join(f"{e.image.file} ({e.probability:.0%})" for e in examples[:3])
        lines.append(f"  {name}: {shown or '-'}")
    return "\n".join(lines)


def _more(count: int) -> list[str]:
    return [f"  ... and {count - SHOWN:,} more (--json)"] if count > SHOWN else []


class _Progress:
    """Each stage on stderr, and the fraction done at most every tenth."""

    def __init__(self) -> None:
        self._shown = -1

    def on_stage(self, stage: str) -> None:
        print(f"{stage}…", file=sys.stderr, flush=True)

    def on_progress(self, fraction: float) -> None:
        tenth = int(fraction * 10)
        if tenth > self._shown:
            self._shown = tenth
            print(f"{tenth * 10}%", file=sys.stderr, flush=True)
