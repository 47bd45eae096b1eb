"""``python -m core lr-find``: the learning-rate range test of a project, headless.

The same test as the Training page's "Find learning rate"
(``core.training.lr_finder``; the rule is in docs/sweeps.md): a model built
afresh from the project's spec trains on its data, augmentation and settings
while the rate rises from 1e-7 to 10; the project file and its runs are not
changed. Prints the suggested learning rate; the result is kept as the
project's last (``NAME.runs/lr-finder/result.json``, beside its runs).

Examples:
  python -m core lr-find my.cnnwb.json
  python -m core lr-find my.cnnwb.json --json > curve.json
  python -m core lr-find my.cnnwb.json --csv curve.csv

Exit status: 0 a suggestion printed; 1 a user error (bad project, missing
data, settings a run would refuse); 3 the test found no slope to suggest
from (the loss diverged at once); 130 stopped by Ctrl+C (143 SIGTERM).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
import threading
from pathlib import Path

EXIT_NO_SUGGESTION = 3


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "lr-find",
        help="suggest a learning rate for a project (a range test)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("project", help="a project file (.cnnwb.json)")
    parser.add_argument(
        "--json",
        action="store_true",
        help="print the whole result as JSON: the suggestion and the curve",
    )
    parser.add_argument(
        "--csv", metavar="FILE", help="write the curve: learning_rate,loss,smoothed"
    )
    parser.add_argument(
        "--verbose", action="store_true", help="show TensorFlow's own log lines"
    )
    parser.set_defaults(func=run, uses_tensorflow=True)


def run(args: argparse.Namespace) -> int:
    from core.atomic_file import write_atomic
    from core.errors import WorkbenchError
    from core.runs import RunStore
    from core.training.interrupt import stop_on_signals
    from core.training.lr_finder_result import CANCELLED, save_result

    cancel = threading.Event()
    with stop_on_signals(cancel) as interrupt:
        try:
            test = _find(args.project, cancel)
        except WorkbenchError as exc:
            if interrupt.exit_code is None:
                raise
            print(f"stopped before the test began: {exc}", file=sys.stderr)
            return interrupt.exit_code
    if test.stop == CANCELLED:
        print(f"stopped after {len(test.losses)} batches", file=sys.stderr)
        return interrupt.exit_code or 130
    if args.csv:
        write_atomic(Path(args.csv), _csv(test.rows()))
    kept = save_result(test, RunStore.beside(args.project).root)
    print(f"kept in {kept}", file=sys.stderr)
    if args.json:
        print(json.dumps(test.to_dict(), indent=1))
    if test.suggestion is None:
        print(
            f"error: no suggestion: the loss {test.stop} after {len(test.losses)} "
            "batches, too few to tell a slope (try a smaller batch size or check "
            "the data)",
            file=sys.stderr,
        )
        return EXIT_NO_SUGGESTION
    if not args.json:
        print(f"suggested learning rate: {test.suggestion:.3g}")
    return 0


def _find(project_file: str, cancel: threading.Event):
    """The range test of the project as this machine finds its data."""
    from core.commands.project_data import open_project_data
    from core.project import load_project
    from core.training.job import Overrides, for_this_machine
    from core.training.lr_finder import find_learning_rate

    project = load_project(project_file)
    base = Path(project_file).resolve().parent
    project = for_this_machine(project, base, Overrides())
    return find_learning_rate(
        project.model,
        open_project_data(project, cancel),
        project.training,
        project.augmentation,
        listener=_Progress(),
        cancel=cancel,
    )


def _csv(rows: list[tuple[float, float, float]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("learning_rate", "loss", "smoothed"))
    writer.writerows((f"{r:.6g}", f"{loss:.6g}", f"{s:.6g}") for r, loss, s in rows)
    return out.getvalue()


class _Progress:
    """A line on stderr per tenth of the batches (a log stays readable)."""

    def __init__(self) -> None:
        self.total = 0

    def on_stage(self, stage: str) -> None:
        print(f"{stage}…", file=sys.stderr, flush=True)

    def on_train_begin(self, total_epochs: int, steps_per_epoch: int) -> None:
        self.total = steps_per_epoch
        print(f"range test: {self.total} batches", file=sys.stderr, flush=True)

    def on_batch_end(self, epoch: int, batch: int, logs: dict[str, float]) -> None:
        if (batch + 1) % max(1, self.total // 10) == 0:
            print(
                f"batch {batch + 1}/{self.total}  learning rate "
                f"{logs['learning_rate']:.2e}  smoothed loss {logs['smoothed']:.4f}",
                file=sys.stderr,
                flush=True,
            )

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        return None
