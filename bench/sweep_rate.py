"""Sweep trials per hour: one worker, and two worker processes pinned to a core each.

Run on purpose: ``python bench/sweep_rate.py [--trials N] [--images N]
[--epochs N] [--write]``. The same tiny project (the built-in shapes dataset, a
small CNN) is swept over its learning rate by KerasTuner's distributed tuning
on localhost (``python -m core sweep --distributed``: a chief that trains
nothing, and workers), twice:

- **1 worker** with the whole machine (TensorFlow's thread pools span every
  core it may use);
- **2 workers**, each pinned to one core (``sched_setaffinity`` before it
  starts; TensorFlow sizes its pools from the cores it may use, so each
  computes on that core's threads only).

Trials per hour is the trials over the span from the first trial's start to
the last one's end (the trials' records), so the processes' start-up is left
out. On a 2-core machine the second row cannot show more than the cores allow:
two workers at most double the rate of two single-core workers, and they are
compared with one worker that already had both cores, so the ratio says how
much better trials use a core each (no thread hand-offs, no idle core while
the other waits) than one trial uses two; it is not the speed-up of two
machines, which would each bring their own cores. Appends a section to
docs/benchmarks.md with ``--write``.

``--tiny`` only checks that the script works (``bench/_tiny.py``): a chief and
one pinned worker sweep one one-epoch trial on 60 images, nothing written.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from _section import date_and_command, heading, publish
from _tiny import add_tiny_flag
from scaling import make_project  # the same small CNN on shapes

ROOT = Path(__file__).resolve().parents[1]


def sweep_file(folder: Path, trials: int) -> Path:
    """A random search of ``trials`` learning rates (a log range)."""
    rate = {"min": 0.0003, "max": 0.03, "log": True}
    data = {"name": "rate", "trials": trials, "vary": {"training.learning_rate": rate}}
    path = folder / "SWEEP.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def pinned(core: int) -> Callable[[], None]:
    """Run in the child before it starts: it may use ``core`` only."""

    def pin() -> None:
        os.sched_setaffinity(0, {core})

    return pin


def sweep(project: Path, sweep_path: Path, cores: list[int] | None) -> list[dict]:
    """A chief and a worker per entry of ``cores`` (None: one unpinned
    worker); the trials' records when all have ended."""
    from core.runs import RunStore
    from core.sweeps.folder import list_sweeps

    port = _free_port()
    command = [sys.executable, "-m", "core", "sweep", str(project), str(sweep_path)]
    command.append("--distributed")
    base = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "KERASTUNER_ORACLE_IP": "127.0.0.1",
        "KERASTUNER_ORACLE_PORT": str(port),
    }
    launches: list[tuple[str, Callable[[], None] | None]] = [("chief", None)]
    if cores is None:
        launches.append(("tuner0", None))
    else:
        launches += [(f"tuner{i}", pinned(core)) for i, core in enumerate(cores)]
    procs = [
        subprocess.Popen(
            command,
            env={**base, "KERASTUNER_TUNER_ID": tuner_id},
            preexec_fn=pin,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for tuner_id, pin in launches
    ]
    outputs = [p.communicate()[0] for p in procs]
    failed = [i for i, p in enumerate(procs) if p.returncode]
    if failed:
        raise SystemExit(f"a sweep process failed:\n{outputs[failed[0]][-3000:]}")
    [folder] = list_sweeps(RunStore.beside(project).root)
    return [t.to_dict() for t in folder.trials()]


def trials_per_hour(trials: list[dict]) -> tuple[float, float]:
    """Completed trials per hour over the first start to the last end, and
    that span in seconds (at least 1: the records keep whole seconds)."""
    done = [t for t in trials if t["status"] == "completed"]
    starts = [datetime.fromisoformat(t["started"]) for t in done]
    ends = [datetime.fromisoformat(t["ended"]) for t in done]
    span = max(1.0, (max(ends) - min(starts)).total_seconds())
    return len(done) / span * 3600, span


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=8, help="trials per sweep")
    parser.add_argument("--images", type=int, default=1200, help="shapes images")
    parser.add_argument("--epochs", type=int, default=2, help="epochs per trial")
    parser.add_argument("--write", action="store_true", help="to docs/benchmarks.md")
    add_tiny_flag(parser)
    args = parser.parse_args()
    cores = sorted(os.sched_getaffinity(0))
    ways: list[tuple[str, list[int] | None]] = [
        ("1 worker, every core", None),
        (f"2 workers, pinned to cores {cores[0]} and {cores[-1]}", cores[:2]),
    ]
    if args.tiny:  # the pinned path: a chief and one pinned worker, one trial
        args.trials, args.images, args.epochs, args.write = 1, 60, 1, False
        ways = [(f"1 worker, pinned to core {cores[0]}", cores[:1])]
    rows = []
    for label, pins in ways:
        with tempfile.TemporaryDirectory() as scratch:
            folder = Path(scratch)
            project = make_project(folder, args.images, args.epochs)
            started = time.monotonic()
            trials = sweep(project, sweep_file(folder, args.trials), pins)
            wall = time.monotonic() - started
        rate, span = trials_per_hour(trials)
        workers = sorted({t["tuner_id"] for t in trials})
        rows.append((label, len(trials), rate, span, wall, workers))
        print(f"{label}: {rate:.0f} trials/hour ({len(trials)} in {span:.0f} s)")
    lines = [
        *heading("Sweep trials per hour", "sweep_rate.py"),
        f"A random search of {args.trials} learning rates of a 2-conv CNN on the "
        f"shapes dataset ({args.images} images, 32x32), {args.epochs} epochs a "
        "trial, by `python -m core sweep --distributed` on localhost (a chief and "
        "the workers). Trials per hour: the completed trials over the first start "
        "to the last end. On this machine's cores two workers cannot show more "
        "than the cores allow: the second row says how much better a core per "
        "trial does than one trial on every core, not what two machines would.",
        "",
        f"- Machine: {len(cores)} cores usable, no GPU; Python "
        f"{platform.python_version()}, TensorFlow 2.21",
        *date_and_command(
            "sweep_rate.py",
            f"--trials {args.trials} --images {args.images} --epochs {args.epochs}",
        ),
        "",
        "| workers | trials | trials per hour | first start to last end | wall, "
        "launch to exit | trials run by |",
        "| --- | --- | --- | --- | --- | --- |",
        *(
            f"| {r[0]} | {r[1]} | {r[2]:.0f} | {r[3]:.0f} s | {r[4]:.0f} s | "
            f"{', '.join(r[5])} |"
            for r in rows
        ),
        "",
    ]
    publish(lines, args.write)


if __name__ == "__main__":
    main()
