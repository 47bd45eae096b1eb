"""``python -m core train``: train a project headless, exactly as the app does.

The run goes through the same ``run_session`` as the app's Start button: the
same pre-flight checks, dataset pipeline, augmentation, callbacks, both phases
with a backbone, and a run folder the app's Runs tab lists.

Examples:
  python -m core train my.cnnwb.json
  python -m core train my.cnnwb.json --epochs 20 --run-dir /scratch/runs
  python -m core train my.cnnwb.json --data-root /data --strategy mirrored
  python -m core train --preset fashion-mnist-cnn --epochs 1
  python -m core train --preset cifar10-strong --epochs 1 --fraction 0.1
  python -m core train --resume my.runs/20261129-120000-model --epochs 30
  python -m core train --resume my.runs/20261129-120000-model --data-root /new/place
  TF_CONFIG='{...}' python -m core train my.cnnwb.json --strategy multi-worker

With ``--strategy multi-worker`` the same command runs on every worker of a
TF_CONFIG cluster (docs/scaling.md); only the chief writes the run, and a Stop
on any worker stops all of them after the same batch.

Ctrl+C or SIGTERM stops after the current batch and keeps the run resumable
(a second Ctrl+C aborts at once). Exit status: 0 done; 1 a user error (bad
project, missing data, refused by the pre-flight checks); 2 a usage error;
3 training failed (run kept, the reason in its run.json); 130 stopped by
Ctrl+C; 143 stopped by SIGTERM.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import threading
from pathlib import Path
from typing import Any

from core.commands.arguments import number_in, setting_field, whole_number_in
from core.errors import WorkbenchError
from core.training.config import TrainingConfig
from core.training.device import STRATEGIES

EXIT_FAILED = 3


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "train",
        help="train a project or a preset headless, as the app does",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("project", nargs="?", help="a project file (.cnnwb.json)")
    source.add_argument("--preset", metavar="NAME", help="a bundled preset instead")
    source.add_argument(
        "--resume", metavar="RUN_DIR", help="continue a stopped run as recorded"
    )
    parser.add_argument(
        "--epochs",
        type=whole_number_in(setting_field(TrainingConfig, "epochs")),
        help="epochs (phase 1 with a backbone)",
    )
    parser.add_argument(
        "--learning-rate",
        type=number_in(setting_field(TrainingConfig, "learning_rate")),
        help="with --resume only: a new learning rate",
    )
    parser.add_argument(
        "--run-dir",
        metavar="DIR",
        help="the folder the run's folder is created in (default: beside the "
        "project; ./NAME.runs for a preset)",
    )
    parser.add_argument(
        "--strategy",
        choices=STRATEGIES,
        default="auto",
        help="auto (default): several GPUs mirrored, else one device; "
        "multi-worker: every worker of a TF_CONFIG cluster",
    )
    parser.add_argument(
        "--data-root",
        metavar="DIR",
        help="resolve the project's dataset path under DIR (data moved here); "
        "with --resume: the run's data moved to DIR (or to DIR/ITS_NAME)",
    )
    parser.add_argument(
        "--dataset",
        metavar="PATH_OR_NAME",
        help="train on this built-in dataset or folder instead",
    )
    parser.add_argument("--weights", metavar="FILE", help="backbone weights file")
    parser.add_argument(
        "--fraction",
        type=float,
        metavar="F",
        help="train, validate and test on this part of every split (class "
        "proportions kept), e.g. 0.1 for a quick check of a long recipe",
    )
    parser.add_argument(
        "--verbose", action="store_true", help="show TensorFlow's own log lines"
    )
    parser.set_defaults(func=run, uses_tensorflow=True, usage_error=parser.error)


def run(args: argparse.Namespace) -> int:
    from core.training.console import ConsoleListener
    from core.training.interrupt import stop_on_signals

    if args.learning_rate is not None and not args.resume:
        args.usage_error("--learning-rate goes with --resume")
    fixed = ("run_dir", "dataset", "weights", "fraction")
    if args.resume and any(getattr(args, name) for name in fixed):
        args.usage_error(
            "--resume continues the run as recorded: only --epochs, "
            "--learning-rate, --strategy and --data-root may be given with it"
        )
    if args.strategy == "multi-worker":
        from core.training import multi_worker

        multi_worker.strategy()  # before the data and the model: no op may run first
    cancel = threading.Event()
    listener = ConsoleListener()
    with stop_on_signals(cancel) as interrupt:
        try:
            if args.resume:
                outcome = _resume(args, listener, cancel)
            else:
                outcome = _train(args, listener, cancel)
        except WorkbenchError as exc:
            if interrupt.exit_code is None:
                raise
            # Stopped before training began (e.g. while the data loaded): the
            # signal's status, as for a stop during training.
            print(f"stopped before training began: {exc}", file=sys.stderr)
            return interrupt.exit_code
    return _report(outcome, interrupt.exit_code)


def _train(args: argparse.Namespace, listener: Any, cancel: threading.Event) -> Any:
    from core.commands.project_data import open_project_data
    from core.project import load_project
    from core.runs import RunStore
    from core.training.job import Overrides, for_this_machine, preset_project
    from core.training.session import run_session

    overrides = Overrides(
        epochs=args.epochs,
        data_root=Path(args.data_root) if args.data_root else None,
        dataset=args.dataset,
        weights=args.weights,
        fraction=args.fraction,
    )
    if args.preset:
        project = preset_project(args.preset)
        base = Path.cwd()
        store = RunStore(base / f"{args.preset}.runs")
    else:
        project = load_project(args.project)
        for line in project.flagged():
            print(f"warning: {line}", file=sys.stderr)
        base = Path(args.project).resolve().parent
        store = RunStore.beside(args.project)
    if args.run_dir:
        store = RunStore(args.run_dir)
    project = for_this_machine(project, base, overrides)
    dataset = open_project_data(project, cancel, args.fraction)
    assert project.dataset is not None  # for_this_machine refuses none
    if project.dataset.exclusions:  # applied by open_dataset; the files untouched
        print(
            f"exclusion list: {project.dataset.exclusions.summary()} "
            "(the project's; changed files are kept as given)",
            file=sys.stderr,
        )
    _say_skipped(dataset, project.dataset)
    return run_session(
        project.model,
        dataset=dataset,
        cfg=project.training,
        augmentation=project.augmentation,
        listener=listener,
        cancel=cancel,
        store=store,
        label=project.model.name,
        data_spec=project.dataset,
        strategy=args.strategy,
    )


def _say_skipped(dataset: Any, spec: Any) -> None:
    """One line for the files the load left out, and where they are listed."""
    skipped = len(dataset.report.skipped)
    if not skipped:
        return
    source = spec.name if spec.kind == "builtin" else shlex.quote(spec.path)
    if spec.kind == "builtin" and spec.path:
        source += f" --local {shlex.quote(spec.path)}"
    print(
        f"skipped {skipped:,} file{'s' if skipped > 1 else ''} that cannot be used "
        f"as images; python -m core dataset-info {source} --quick lists them",
        file=sys.stderr,
    )


def _resume(args: argparse.Namespace, listener: Any, cancel: threading.Event) -> Any:
    from core.training.resume import resume_session

    return resume_session(
        args.resume,
        epochs=args.epochs,
        learning_rate=args.learning_rate,
        listener=listener,
        cancel=cancel,
        strategy=args.strategy,
        data_root=args.data_root,
    )


def _report(outcome: Any, signal_exit: int | None) -> int:
    """Say how the run ended; the exit status the docstring promises."""
    from core.run_model import run_model
    from core.training.evaluation import as_given_words
    from core.training.events import StopReason

    result, run = outcome.result, outcome.run
    where = f" (run kept in {run.path})" if run is not None else ""
    if result.stop_reason is StopReason.CANCELLED:
        print(f"stopped after epoch {result.epochs_run}{where}", file=sys.stderr)
        if run is not None:
            resume = f"python -m core train --resume {shlex.quote(str(run.path))}"
            print(f"resume with: {resume}", file=sys.stderr)
        return signal_exit or 130
    if result.stop_reason in (StopReason.DIVERGED, StopReason.FAILED):
        print(f"error: training failed: {result.message}{where}", file=sys.stderr)
        return EXIT_FAILED
    evaluation = outcome.evaluation
    summary = f"{result.stop_reason.value} after {result.epochs_run} epochs"
    if result.best_epoch is not None:
        summary += f", best epoch {result.best_epoch + 1}"
    if evaluation is not None:
        summary += f", test accuracy {evaluation.accuracy:.4f}"
        kept = run_model(run.path) if run is not None else None
        summary += f" ({kept.label})" if kept else ""
        summary += as_given_words(evaluation)
        if evaluation.tta != "none":  # test-time augmentation's views averaged
            summary += f", test-time augmentation {evaluation.tta}"
    print(summary + where)
    if result.message:
        print(result.message, file=sys.stderr)
    return 0
