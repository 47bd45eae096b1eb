"""``python -m core sweep``: a hyperparameter sweep of a project, headless.

Trains one run per trial in the project's runs folder, each with the settings
KerasTuner picks from SWEEP.json's ranges (docs/sweeps.md has the schema);
the sweep's folder (NAME.runs/sweeps/SWEEP_NAME/) names its trials' runs.
Trials validate and are never tested; the objective is the project's
checkpoint monitor. Running the same command again continues a stopped
sweep where it stopped (the interrupted trial's run is resumed); --trials
and --minutes may then give it a new budget.

Examples:
  python -m core sweep my.cnnwb.json --list
  python -m core sweep my.cnnwb.json SWEEP.json
  python -m core sweep my.cnnwb.json SWEEP.json --trials 20 --csv results.csv
  KERASTUNER_TUNER_ID=chief KERASTUNER_ORACLE_IP=10.0.0.1 \\
    KERASTUNER_ORACLE_PORT=8000 python -m core sweep my.cnnwb.json SWEEP.json \\
    --distributed   # then each worker with KERASTUNER_TUNER_ID=tuner0, tuner1...

Ctrl+C or SIGTERM stops after the running trial's current batch and keeps the
sweep to continue. Exit status: 0 the sweep ended (its budget spent, or
nothing left to try); 1 a user error (bad project or sweep file: one line per
mistake; missing data or package); 2 a usage error; 130 stopped by Ctrl+C;
143 by SIGTERM.
"""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path
from typing import Any

from core.commands.arguments import number_in, setting_field, whole_number_in
from core.sweeps.spec import SweepSettings


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "sweep",
        help="search a project's settings: one run per trial (KerasTuner)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("project", help="a project file (.cnnwb.json)")
    parser.add_argument(
        "sweep", nargs="?", help="the sweep's file (SWEEP.json; docs/sweeps.md)"
    )
    parser.add_argument(
        "--list",
        action="store_true",
        help="list the settings this project's sweeps can vary, and stop",
    )
    parser.add_argument(
        "--trials",
        type=whole_number_in(setting_field(SweepSettings, "trials")),
        help="at most this many trials in all (0: no limit); overrides the file",
    )
    parser.add_argument(
        "--minutes",
        type=number_in(setting_field(SweepSettings, "minutes")),
        help="start no trial after this many minutes of sweeping in all (0: no "
        "limit); overrides the file",
    )
    parser.add_argument(
        "--distributed",
        action="store_true",
        help="KerasTuner's chief or worker, as KERASTUNER_TUNER_ID, "
        "KERASTUNER_ORACLE_IP and KERASTUNER_ORACLE_PORT say (docs/scaling.md)",
    )
    parser.add_argument(
        "--data-root",
        metavar="DIR",
        help="resolve the project's dataset path under DIR (data moved here)",
    )
    parser.add_argument(
        "--csv", metavar="FILE", help="write the trials' table when the sweep ends"
    )
    parser.add_argument(
        "--verbose", action="store_true", help="show TensorFlow's own log lines"
    )
    parser.set_defaults(func=run, usage_error=parser.error)


def run(args: argparse.Namespace) -> int:
    from core.project import load_project

    project = load_project(args.project)
    if args.list:
        _print_list(project)
        return 0
    if args.sweep is None:
        args.usage_error("give the sweep's file (SWEEP.json), or --list")
    from core.errors import WorkbenchError
    from core.sweeps.spec import SweepSpecError, load_sweep

    try:
        spec = load_sweep(args.sweep, project).with_budget(args.trials, args.minutes)
    except SweepSpecError as exc:
        for problem in exc.problems:  # one line per mistake, each complete
            print(f"error: {args.sweep}: {problem}", file=sys.stderr)
        return 1
    from core.tf_runtime import load_tensorflow
    from core.training.interrupt import stop_on_signals

    load_tensorflow(args.verbose)
    cancel = threading.Event()
    with stop_on_signals(cancel) as interrupt:
        try:
            outcome = _sweep(args, project, spec, cancel)
        except WorkbenchError as exc:
            if interrupt.exit_code is None:
                raise
            print(f"stopped before the sweep began: {exc}", file=sys.stderr)
            return interrupt.exit_code
    if args.csv:
        outcome.folder.export_csv(args.csv)
    _print_outcome(outcome)
    if outcome.stopped:
        print(
            "stopped; the same command continues the sweep where it stopped",
            file=sys.stderr,
        )
        return interrupt.exit_code or 130
    return 0


def _sweep(
    args: argparse.Namespace, project: Any, spec: Any, cancel: threading.Event
) -> Any:
    from core.commands.project_data import open_project_data
    from core.runs import RunStore
    from core.sweeps.distributed import CHIEF, sweep_role
    from core.sweeps.search import run_sweep
    from core.training.console import ConsoleListener
    from core.training.job import Overrides, for_this_machine

    base = Path(args.project).resolve().parent
    data_root = Path(args.data_root) if args.data_root else None
    project = for_this_machine(project, base, Overrides(data_root=data_root))
    dataset = None
    if sweep_role(args.distributed).kind != CHIEF:  # the chief trains nothing
        dataset = open_project_data(project, cancel)
    return run_sweep(
        spec,
        project,
        dataset,
        RunStore.beside(args.project),
        listener=_Progress(),
        trial_listener=ConsoleListener(sys.stderr),
        cancel=cancel,
        distributed=args.distributed,
    )


def _print_list(project: Any) -> None:
    from core.sweeps.space import sweepable_settings

    for s in sweepable_settings(project.model, project.training, project.augmentation):
        if s.choices:
            what = f"one of {', '.join(s.choices)}"
        elif s.kind == "bool":
            what = "true or false"
        else:
            low = "" if s.minimum is None else f"{s.minimum:g}"
            high = "" if s.maximum is None else f"{s.maximum:g}"
            below = " (below)" if s.exclusive_maximum else ""
            what = f"{s.kind} {low}..{high}{below}"
        print(f"{s.key}\t{what}\tnow {s.default}")


def _print_outcome(outcome: Any) -> None:
    """The sweep's folder and its best trial, on stdout."""
    best = outcome.best
    objective = outcome.folder.objective().name
    print(f"sweep {outcome.folder.name}: {outcome.reason} ({outcome.folder.path})")
    done = [t for t in outcome.trials if t.status == "completed"]
    failed = [t for t in outcome.trials if t.status == "failed"]
    print(f"{len(done)} trials completed, {len(failed)} failed")
    if best is not None:
        print(
            f"best: trial {best.number}, {objective} {best.score:.4f} "
            f"({_values(best.values)}), run {best.run}"
        )


def _values(values: dict[str, Any]) -> str:
    return ", ".join(
        f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
        for k, v in values.items()
    )


class _Progress:
    """One line on stderr as each trial begins and ends."""

    def on_sweep_begin(self, folder: Any, done: list[Any]) -> None:
        again = f", continuing after {len(done)} trials" if done else ""
        print(f"sweep {folder.name} in {folder.path}{again}", file=sys.stderr)

    def on_trial_begin(self, trial: Any, progress: Any) -> None:
        resumed = f", resuming {trial.run}" if trial.run else ""
        print(
            f"{progress.words()}: {_values(trial.values)}{resumed}",
            file=sys.stderr,
            flush=True,
        )

    def on_trial_end(self, trial: Any, progress: Any) -> None:
        if trial.status == "completed":
            how = f"score {trial.score:.4f} at epoch {trial.best_epoch}"
        else:
            how = trial.message or trial.status
        print(
            f"trial {trial.number} {trial.status}: {how}"
            f"{f' (run {trial.run})' if trial.run else ''}",
            file=sys.stderr,
            flush=True,
        )

    def on_sweep_end(self, outcome: Any) -> None:
        return None
