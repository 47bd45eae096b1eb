"""Tutorial figures and strong presets on the full data, recorded in docs/benchmarks.md.

Run on purpose (issue 17); the test suite runs only its ``--tiny`` check:

  python bench/reproduce.py --reproduce   # the five tutorial presets
  python bench/reproduce.py --beat --with-reference   # strong presets, plain Keras
  python bench/reproduce.py --quick       # each preset: 1 epoch, a tenth of the data
  python bench/reproduce.py --only mnist-strong   # with --quick: its quick check
  python bench/reproduce.py --only mnist-strong --repeat 2   # the seeded check
  python bench/reproduce.py --resume /tmp/reproduce-runs/RUN   # a run cut short
  python bench/reproduce.py --plain cifar10-simple-cnn --seed 1   # its tutorial's code
  python bench/reproduce.py --fast        # issue 26: the fast presets, 3 seeds each
  python bench/reproduce.py --fast --only mnist-fast --fast-seed 1 --plot-dir docs
  python bench/reproduce.py --fast-report # their table and pass/fail, no training
  python bench/reproduce.py --tiny        # does this script still work? seconds

Each preset trains through ``python -m core train --preset NAME`` in a fresh
interpreter, the same ``run_session`` as the app's Start button, so the wall
time includes importing TensorFlow, loading the data and the final test
evaluation. A preset that early-stops and keeps its best checkpoint (as
``fashion-mnist-best``'s tutorial does) also has its ``best.keras`` evaluated
(``python -m core evaluate RUN``): the session evaluates the model in memory,
the tutorial its best checkpoint. ``--with-reference`` runs
``../shared/reference/plain_keras_reference.py`` on Fashion-MNIST and CIFAR-10
after the presets, one job at a time so neither slows the other. ``--plain
NAME`` runs the tutorial's own Keras code on the same data
(``bench/tutorial_keras.py``), to tell the app from the data where a figure
differs.

Each run appends one row to the table in docs/benchmarks.md as soon as it
ends (date, machine, load average, command, epochs, wall time, test
accuracy), so a session cut short keeps what ran. Run it nice'd in the
background for the long jobs; the load average recorded says how busy the
machine was. ``--tiny`` (``bench/_tiny.py``) trains the ``shapes-starter``
preset for one epoch on 120 images and appends its row to a copy of
docs/benchmarks.md in a temporary folder, not to the file itself.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import _fast_runs as fast  # noqa: E402  (this script's folder)
from _commit import figures_line  # noqa: E402
from _machine import describe  # noqa: E402
from _tiny import add_tiny_flag  # noqa: E402
from tutorial_keras import TUTORIALS as PLAIN  # noqa: E402

from core.data.builtin import shared_datasets_dir  # noqa: E402
from core.data.spec import DatasetSpec  # noqa: E402
from core.errors import WorkbenchError  # noqa: E402
from core.presets import named_preset  # noqa: E402
from core.project import Project, save_project, write_atomic  # noqa: E402

BENCHMARKS = ROOT / "docs" / "benchmarks.md"
REFERENCE = shared_datasets_dir().parent / "reference" / "plain_keras_reference.py"
SECTION = "## Accuracy on real data: tutorials and strong presets (bench/reproduce.py)"
HEADER = (
    "| date (UTC) | machine | load 1/5/15 min (start) | command | epochs | wall time "
    "| test accuracy | expected | notes |\n"
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
)
# (preset, what its tutorial reached or the target, and within what time)
# The few-hour VGG last, so a session cut short keeps the others.
TUTORIALS = {
    "mnist-convnet": "about 99.1% ± 0.3",
    "cifar10-simple-cnn": "71.19% ± 1.5",
    "fashion-mnist-cnn": "88.68% ± 1.0",
    "fashion-mnist-best": "91.7-91.8% ± 1.0 (best.keras)",
    "fashion-mnist-vgg": "91.98% ± 1.0",
}
STRONG = {
    "fashion-mnist-strong": ">= 94.0% within 20 min",
    "mnist-strong": ">= 99.5% within 10 min",
    "cifar10-strong": ">= 85% within 40 min",
}
# The reference script: (its dataset argument, epochs sized to the time budget).
REFERENCE_RUNS = {"fashion": 14, "cifar": 19}
SUMMARY = re.compile(r"after (\d+) epochs.*?test accuracy ([\d.]+)")
RUN_KEPT = re.compile(r"\(run kept in (.+)\)\s*$", re.M)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reproduce", action="store_true", help="tutorial presets")
    parser.add_argument("--beat", action="store_true", help="the strong presets")
    parser.add_argument(
        "--with-reference",
        action="store_true",
        help="also run the plain Keras reference script (Fashion-MNIST, CIFAR-10)",
    )
    parser.add_argument(
        "--reference",
        choices=sorted(REFERENCE_RUNS),
        action="append",
        help="run the reference script on this dataset only (repeatable)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="every preset: 1 epoch on a tenth"
    )
    parser.add_argument("--only", metavar="NAME", action="append", help="a preset")
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        metavar="N",
        help="train each preset N times: seeded runs should agree within 0.3 points",
    )
    parser.add_argument(
        "--resume",
        metavar="RUN_DIR",
        type=Path,
        action="append",
        help="finish a preset's run that was cut short (a session's end)",
    )
    parser.add_argument(
        "--plain",
        metavar="NAME",
        action="append",
        choices=PLAIN,
        help="the tutorial's own Keras code on the same data (bench/tutorial_keras.py)",
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="with --plain: its seed (default: 0)"
    )
    parser.add_argument(
        "--runs-dir",
        default=str(Path(tempfile.gettempdir()) / "reproduce-runs"),
        help="where the run folders go (default: %(default)s)",
    )
    _add_fast_flags(parser)
    add_tiny_flag(parser)
    args = parser.parse_args(argv)
    if args.tiny:
        tiny_check()
        return 0
    if args.fast or args.fast_report:
        return run_fast(args, parser)
    names = list(args.only or [])
    if args.reproduce or (args.quick and not names):
        names += list(TUTORIALS)
    if args.beat or (args.quick and not args.only):
        names += list(STRONG)
    references = list(REFERENCE_RUNS) if args.with_reference else []
    references += [r for r in args.reference or [] if r not in references]
    if not (names or references or args.resume or args.plain):
        parser.error(
            "choose --reproduce, --beat, --quick, --only NAME, --with-reference, "
            "--reference WHICH, --plain NAME or --resume RUN_DIR"
        )
    for name in dict.fromkeys(names):
        try:
            named_preset(name)  # an unknown name fails before hours of training
        except WorkbenchError as exc:
            parser.error(str(exc))
    for run in args.resume or []:
        resume_run(run)
    for name in dict.fromkeys(names):
        for _ in range(args.repeat):
            run_preset(name, Path(args.runs_dir), args.quick)
    for which in references:
        run_reference(which, REFERENCE_RUNS[which])
    for name in args.plain or []:
        run_plain(name, args.seed)
    return 0


def _add_fast_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--fast",
        action="store_true",
        help="issue 26: train the fast presets (or --only NAME) for each seed, "
        "each on an idle machine, and judge them against the issue's floors",
    )
    parser.add_argument(
        "--fast-seed",
        type=int,
        action="append",
        metavar="N",
        help="with --fast: this seed only (repeatable; default: 0, 1 and 2)",
    )
    parser.add_argument(
        "--fast-report",
        action="store_true",
        help="print the fast runs' table and verdicts from --json, no training",
    )
    parser.add_argument(
        "--json",
        type=Path,
        default=Path(tempfile.gettempdir()) / "reproduce-runs" / "fast-runs.json",
        help="with --fast: the file every run is appended to (default: %(default)s)",
    )
    parser.add_argument(
        "--plot-dir",
        type=Path,
        help="with --fast or --fast-report: save time-to-accuracy-NAME.png here "
        "(e.g. docs)",
    )
    fast.add_start_flags(parser, when="with --fast: ")


def run_fast(
    args: argparse.Namespace,
    parser: argparse.ArgumentParser,
    projects: dict[str, Project] | None = None,
) -> int:
    """Each fast preset's seeds, one run at a time; the table and verdicts."""
    names = args.only or list(fast.TARGETS)
    if projects is None:
        for name in names:
            try:
                named_preset(name)
            except WorkbenchError as exc:
                parser.error(str(exc))
        projects = {name: named_preset(name).project() for name in names}
    folder = args.json.parent
    for name, project in projects.items() if args.fast else ():
        for seed in args.fast_seed or fast.SEEDS:
            load = fast.start_load(
                f"{name} seed {seed}", args.idle_wait, args.allow_busy
            )
            if load is None:
                return 1
            record = fast.run_seed(name, project, seed, folder, load)
            fast.append_record(args.json, record)
    records = fast.load_records(args.json)
    print(fast.table([r for r in records if r["preset"] in projects]))
    for name in projects if args.plot_dir else ():
        print(f"saved {fast.plot(name, records, args.plot_dir)}")
    return 0


def run_preset(name: str, runs_dir: Path, quick: bool) -> None:
    command = [sys.executable, "-m", "core", "train", "--preset", name]
    command += ["--run-dir", str(runs_dir)]
    if quick:
        command += ["--epochs", "1", "--fraction", "0.1"]
    _train_and_record(command, name, quick)


def tiny_check() -> None:
    """A quick check of ``shapes-starter`` on 120 images (``--fraction`` would
    draw all 8,000 first); its row goes to a copy of the docs."""
    global BENCHMARKS  # every row goes to the copy
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        BENCHMARKS = Path(shutil.copy(BENCHMARKS, folder / "benchmarks.md"))
        project = named_preset("shapes-starter").project()
        project = replace(project, dataset=DatasetSpec(name="shapes", count=120))
        path = save_project(project, folder / "tiny.cnnwb.json")
        command = [sys.executable, "-m", "core", "train", str(path), "--epochs", "1"]
        command += ["--run-dir", str(folder / "runs")]
        _train_and_record(command, "shapes-starter", quick=True)
        # --fast's own path: another seed of the same tiny project, busy or not.
        fast_args = argparse.Namespace(
            only=None,
            fast=True,
            fast_seed=[1],
            json=folder / "fast" / "fast-runs.json",
            plot_dir=folder / "plots",
            idle_wait=0,
            allow_busy=True,
        )
        tiny = {
            "shapes-starter": replace(
                project, training=replace(project.training, epochs=2)
            )
        }
        run_fast(fast_args, argparse.ArgumentParser(), tiny)
        assert (folder / "plots" / "time-to-accuracy-shapes-starter.png").is_file()


def resume_run(run: Path) -> None:
    """Finish a preset's run a session's end cut short; its row adds the rest.

    The run's wall time is the sum of its rows: the cut one and this one.
    """
    model = json.loads((run / "config.json").read_text(encoding="utf-8"))["model"]
    name = model["name"].replace("_", "-")  # a preset's model is named after it
    command = [sys.executable, "-m", "core", "train", "--resume", str(run)]
    _train_and_record(command, name, quick=False, note=f"resumed {run.name}")


def _train_and_record(
    command: list[str], name: str, quick: bool, note: str = ""
) -> None:
    load, done, wall = _timed(command)
    found = SUMMARY.search(done.stdout)
    kept = RUN_KEPT.search(done.stdout + done.stderr)
    notes = [note] if note else []
    if done.returncode:
        notes.append(f"exit {done.returncode}: {_tail(done)}")
    training = named_preset(name).project().training
    if kept and training.early_stopping and training.checkpoint and not quick:
        notes.append(f"best.keras: {_evaluate_best(Path(kept.group(1)))}")
    if kept:
        notes.append(f"run {Path(kept.group(1)).name}")
    _append_row(
        load,
        _shown(command),
        found.group(1) if found else "-",
        wall,
        f"{float(found.group(2)):.2%}" if found else "-",
        "quick check" if quick else TUTORIALS.get(name) or STRONG.get(name, ""),
        "; ".join(notes),
    )


def run_reference(which: str, epochs: int) -> None:
    """The plain Keras script, its last epoch's test accuracy (its own curve)."""
    command = [sys.executable, str(REFERENCE), str(shared_datasets_dir())]
    command += [which, str(epochs)]
    if which == "cifar":
        from core.data.builtin import cifar10_source

        command.append(str(cifar10_source()))  # the app's unpacked JPEG folder
    load, done, wall = _timed(command)
    curve = [json.loads(line) for line in done.stdout.splitlines() if '"epoch"' in line]
    last = curve[-1] if curve else {}
    notes = f"exit {done.returncode}: {_tail(done)}" if done.returncode else ""
    _append_row(
        load,
        _shown(command),
        str(last.get("epoch", "-")),
        wall,
        f"{last['test_acc']:.2%}" if last else "-",
        "the plain Keras reference",
        notes or "test set used as its validation curve",
    )


def run_plain(name: str, seed: int) -> None:
    """The tutorial's own code on the same data: a row beside the preset's."""
    command = [sys.executable, str(ROOT / "bench" / "tutorial_keras.py"), name]
    command += ["--seed", str(seed)]
    load, done, wall = _timed(command)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    result = json.loads(lines[-1]) if lines and not done.returncode else {}
    notes = "the tutorial's own Keras code on the same data"
    if result:
        notes += (
            f"; seed {seed}; last epoch: training {result['train_accuracy']:.2%}, "
            f"validation {result['val_accuracy']:.2%}"
        )
    else:
        notes += f"; exit {done.returncode}: {_tail(done)}"
    _append_row(
        load,
        _shown(command),
        str(result.get("epochs", "-")),
        wall,
        f"{result['test_accuracy']:.2%}" if result else "-",
        TUTORIALS[name],
        notes,
    )


def _timed(
    command: list[str],
) -> tuple[tuple[float, float, float], subprocess.CompletedProcess[str], float]:
    """The load average at the start, the finished command, its wall seconds."""
    load = os.getloadavg()
    start = time.monotonic()
    done = _run(command)
    return load, done, time.monotonic() - start


def _run(command: list[str]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"}
    print("$", _shown(command), flush=True)
    done = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    print(done.stdout[-2000:], done.stderr[-2000:], sep="\n", flush=True)
    return done


def _evaluate_best(run: Path) -> str:
    done = _run([sys.executable, "-m", "core", "evaluate", str(run), "--json"])
    if done.returncode:
        return f"not evaluated ({_tail(done)})"
    return f"{json.loads(done.stdout)['accuracy']:.2%}"


def _shown(command: list[str]) -> str:
    """The command as typed from the repository's root."""
    words = ["python" if w == sys.executable else w for w in command]
    return shlex.join(
        os.path.relpath(w, ROOT) if w.startswith(str(ROOT.parent)) else w for w in words
    )


def _tail(done: subprocess.CompletedProcess[str]) -> str:
    lines = (done.stderr or done.stdout).strip().splitlines()
    return lines[-1][:200].replace("|", "/") if lines else "no output"


def _append_row(
    load: tuple[float, float, float],
    command: str,
    epochs: str,
    wall: float,
    accuracy: str,
    expected: str,
    notes: str,
) -> None:
    """One row at the end of the section's table, written at once (atomically)."""
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M")
    cells = [
        when,
        describe(),
        " / ".join(f"{v:.2f}" for v in load),
        f"`{command}`",
        epochs,
        f"{wall / 60:.1f} min",
        accuracy,
        expected,
        notes,
    ]
    row = "| " + " | ".join(cells) + " |"
    lines = BENCHMARKS.read_text(encoding="utf-8").splitlines()
    header = HEADER.splitlines()
    if header[0] not in lines:
        lines += ["", SECTION, "", figures_line(), "", *header]
    # The results table, not the first table of the section (the recipes).
    end = lines.index(header[0]) + 1
    while end + 1 < len(lines) and lines[end + 1].startswith("|"):
        end += 1
    lines.insert(end + 1, row)
    write_atomic(BENCHMARKS, "\n".join(lines) + "\n")
    print(row, flush=True)


if __name__ == "__main__":
    sys.exit(main())
