"""Issue 26's proof runs: each fast preset for three seeds, measured and judged.

Used by ``bench/reproduce.py --fast``. A run is ``python -m core train FILE``
on the preset's project with only its seed changed, in a fresh interpreter,
so its wall time runs from the command's start to the test figure. Each run
starts on an idle machine (1-minute load average below 0.5): the script
waits for it, and a run started busier (``--allow-busy``) is recorded as such
and never counts towards a pass. Every run is appended to a JSON file as soon
as it ends, so a session cut short keeps what ran.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from statistics import mean

from _line_plot import line_plot
from _machine import describe

from core.project import Project, save_project, write_atomic

ROOT = Path(__file__).resolve().parents[1]
IDLE = 0.5  # the "load average below 0.5 at its start"
SEEDS = (0, 1, 2)
EPOCH_LINE = re.compile(r"^epoch (\d+)/\d+\s.*?([\d.]+) s$")
SUMMARY = re.compile(r"after (\d+) epochs.*?test accuracy ([\d.]+)")
RUN_KEPT = re.compile(r"\(run kept in (.+)\)\s*$", re.M)


@dataclass(frozen=True)
class Target:
    """The issue's floor: the seeds' mean, each seed, and the wall time."""

    mean: float  # test accuracy, percent
    each: float
    minutes: float


TARGETS = {
    "cifar10-fast": Target(92.0, 91.7, 40),
    "fashion-mnist-fast": Target(94.5, 94.2, 20),
    "mnist-fast": Target(99.70, 99.62, 10),
}


class Busy(Exception):
    """The machine stayed busier than IDLE for the whole wait."""


def wait_for_idle(seconds: float) -> tuple[float, float, float]:
    """The load average once its 1-minute figure is below IDLE, or Busy."""
    deadline = time.monotonic() + seconds
    while (load := os.getloadavg())[0] >= IDLE:
        if time.monotonic() >= deadline:
            raise Busy(f"load average {load[0]:.2f} (needs below {IDLE})")
        time.sleep(min(15.0, max(0.0, deadline - time.monotonic())))
    return load


def start_load(what: str, wait: float, allow_busy: bool) -> tuple[float, ...] | None:
    """The load average to start ``what`` at, or None (an ``error:`` line said why).

    Waits up to ``wait`` seconds for an idle machine; ``allow_busy`` starts at
    once, busy or not (the record then says "not idle").
    """
    if allow_busy:
        return os.getloadavg()
    try:
        return wait_for_idle(wait)
    except Busy as exc:
        print(
            f"error: {what} not started: {exc}; --allow-busy starts it anyway",
            file=sys.stderr,
        )
        return None


def add_start_flags(parser: argparse.ArgumentParser, when: str = "") -> None:
    """``--idle-wait`` and ``--allow-busy``, the two knobs of ``start_load``.

    ``when`` prefixes the help (e.g. "with --fast: ") where only some of a
    script's modes start runs this way.
    """
    parser.add_argument(
        "--idle-wait",
        type=float,
        default=900,
        metavar="SECONDS",
        help=f"{when}wait this long for a load average below {IDLE} before "
        "each run (default: %(default)s)",
    )
    parser.add_argument(
        "--allow-busy",
        action="store_true",
        help=f"{when}start a run on a busy machine anyway (recorded as not idle)",
    )


def run_seed(
    name: str,
    project: Project,
    seed: int,
    folder: Path,
    load: tuple[float, ...],
    extra: tuple[str, ...] = (),
) -> dict:
    """Train ``project`` with ``seed``; the run's record for the JSON file.

    ``extra``: more ``train`` arguments (a tiny run's ``--dataset``).
    """
    seeded = replace(project, training=replace(project.training, seed=seed))
    path = save_project(seeded, folder / f"{name}-seed{seed}.cnnwb.json")
    command = [sys.executable, "-m", "core", "train", str(path), *extra]
    command += ["--run-dir", str(folder / "runs")]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"}
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M")
    start = time.monotonic()
    child = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output, epochs = [], []
    assert child.stdout is not None
    for line in child.stdout:
        print(line, end="", flush=True)
        output.append(line)
        if found := EPOCH_LINE.match(line.strip()):
            epochs.append((float(found.group(2)), time.monotonic() - start))
    _, status, usage = os.wait4(child.pid, 0)  # the child's own peak RSS
    wall = time.monotonic() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    text = "".join(output)
    summary, kept = SUMMARY.search(text), RUN_KEPT.search(text)
    run = Path(kept.group(1)) if kept else None
    return {
        "date": when,
        "machine": describe(),
        "preset": name,
        "seed": seed,
        "load": [round(v, 2) for v in load],
        "idle": load[0] < IDLE,
        "exit": child.returncode,
        "epochs": int(summary.group(1)) if summary else len(epochs),
        "epoch_seconds": [s for s, _ in epochs],
        "epoch_wall": [round(w, 1) for _, w in epochs],
        "val_accuracy": _validation(run),
        "wall_seconds": round(wall, 1),
        "test_accuracy": float(summary.group(2)) * 100 if summary else None,
        "peak_rss_mb": round(usage.ru_maxrss / 1024),  # kilobytes on Linux
        "run": str(run) if run else None,
    }


def _validation(run: Path | None) -> list[float]:
    try:
        record = json.loads((run / "run.json").read_text(encoding="utf-8"))  # type: ignore[operator]
    except (OSError, TypeError, ValueError):
        return []
    return [v * 100 for v in record.get("history", {}).get("val_accuracy", [])]


def append_record(path: Path, record: dict) -> None:
    records = [*load_records(path), record]
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps(records, indent=1) + "\n")


def load_records(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else []


def table(records: list[dict]) -> str:
    """Every run as a docs/benchmarks.md row, then a verdict per preset."""
    rows = [
        "| date (UTC) | machine | preset | seed | load 1/5/15 min (start) | epochs "
        "| epoch times (s) | wall | test acc. | peak RSS |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in records:
        acc = f"{r['test_accuracy']:.2f}%" if r["test_accuracy"] is not None else "-"
        busy = "" if r["idle"] else " (not idle)"
        rows.append(
            f"| {r['date']} | {r.get('machine', 'not recorded')} "
            f"| `{r['preset']}` | {r['seed']} "
            f"| {' / '.join(f'{v:.2f}' for v in r['load'])}{busy} | {r['epochs']} "
            f"| {', '.join(f'{s:.0f}' for s in r['epoch_seconds'])} "
            f"| {r['wall_seconds'] / 60:.1f} min | {acc} | {r['peak_rss_mb']} MB |"
        )
    verdicts = [
        verdict(name, records) for name in dict.fromkeys(r["preset"] for r in records)
    ]
    return "\n".join([*rows, "", *verdicts])


def verdict(name: str, records: list[dict]) -> str:
    """PASS or FAIL against the issue's floor, from each seed's latest run."""
    latest = {r["seed"]: r for r in records if r["preset"] == name}
    target = TARGETS.get(name)
    if target is None:
        return f"- `{name}`: no target (not a fast preset)"
    runs = [latest[s] for s in SEEDS if s in latest]
    accs = [r["test_accuracy"] or 0.0 for r in runs]
    why = []
    if len(runs) < len(SEEDS):
        why.append(f"{len(runs)} of {len(SEEDS)} seeds")
    if accs and mean(accs) < target.mean:
        why.append(f"mean {mean(accs):.2f}% < {target.mean}%")
    if accs and min(accs) < target.each:
        why.append(f"a seed at {min(accs):.2f}% < {target.each}%")
    if any(r["wall_seconds"] > target.minutes * 60 for r in runs):
        why.append(f"over {target.minutes:.0f} min")
    if any(not r["idle"] for r in runs):
        why.append("a run not started idle")
    if any(r["exit"] for r in runs):
        why.append("a run failed")
    figures = f"mean {mean(accs):.2f}%, lowest {min(accs):.2f}%" if accs else "no run"
    result = "FAIL (" + "; ".join(why) + ")" if why else "PASS"
    return f"- `{name}`: {figures}: {result}"


def plot(name: str, records: list[dict], folder: Path) -> Path:
    """Validation accuracy against wall minutes, one line per seed: its latest
    run, as the verdict judges (an earlier recipe's run would share its label)."""
    latest = {r["seed"]: r for r in records if r["preset"] == name}
    series = [
        (
            f"seed {seed}",
            [
                (w / 60, v)
                for w, v in zip(r["epoch_wall"], r["val_accuracy"], strict=False)
            ],
        )
        for seed, r in sorted(latest.items())
    ]
    return line_plot(
        folder / f"time-to-accuracy-{name}.png",
        f"{name}: validation accuracy against wall time",
        "minutes from the command's start",
        "validation accuracy (%)",
        series,
    )
