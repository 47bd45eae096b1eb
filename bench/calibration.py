"""ECE before and after temperature scaling on the strong presets; accuracy unchanged.

Run on purpose (hours for the full recipes on a CPU):
``python bench/calibration.py [--preset NAME ...] [--epochs N] [--fraction F]``
trains each preset with ``python -m core train --preset``'s code (into
``--run-dir``, a temporary folder unless given), then calibrates its run
(``core.inference.calibration.calibrate_run``: one temperature fitted on the
validation split by NLL, per TTA view before averaging) and prints one row
per preset: test accuracy before and after, test ECE (15 equal-width bins)
before and after, the temperature and the validation NLL before and after.
``--runs RUN_DIR ...`` calibrates runs already trained instead (the timed
runs of issue 26 are strong-preset runs: no second training). ``--json PATH``
writes the rows. ``--tiny`` only checks that the script works
(``bench/_tiny.py``): a one-convolution model on 60 shapes, one epoch, with
TTA flip.

Accuracy "unchanged" is checked, not assumed: without TTA the argmax of
logits / T is the argmax of the logits; with TTA the views' averaged
probabilities may pick another class on a few images, and the row says by
how much.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from _tiny import add_tiny_flag

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

STRONG = ("mnist-strong", "fashion-mnist-strong", "cifar10-strong")
COLUMNS = (
    "run",
    "tta",
    "accuracy before",
    "accuracy after",
    "ECE (15 bins) before",
    "ECE (15 bins) after",
    "temperature",
    "val NLL before",
    "val NLL after",
)


def train(name: str, run_dir: Path, args: argparse.Namespace) -> Path:
    """Train preset (or project file) ``name`` with the command line; its run."""
    from core.cli import main as core_main

    before = set(run_dir.glob("*/config.json"))
    source = [name] if name.endswith(".cnnwb.json") else ["--preset", name]
    command = ["train", *source, "--run-dir", str(run_dir)]
    if args.epochs:
        command += ["--epochs", str(args.epochs)]
    if args.fraction:
        command += ["--fraction", str(args.fraction)]
    status = core_main(command)  # python -m core train, in this process
    if status != 0:
        raise SystemExit(f"error: training {name} ended with status {status}")
    (new,) = set(run_dir.glob("*/config.json")) - before
    return new.parent


def tiny_project(folder: Path) -> str:
    """A project of a one-convolution model on 60 shapes, one epoch: --tiny's."""
    from core.data.spec import DatasetSpec
    from core.project import Project, save_project
    from core.spec import HeadSpec, InputSpec, LayerSpec, ModelSpec
    from core.training.config import TrainingConfig

    model = ModelSpec(
        InputSpec(32, 32, 3),
        (
            LayerSpec.create("Rescaling", "rescaling_1"),
            LayerSpec.create("Conv2D", "conv2d_1", {"filters": 4, "strides": 2}),
            LayerSpec.create("GlobalAveragePooling2D", "gap_1"),
        ),
        HeadSpec(6),
        name="tiny",
    )
    project = Project(
        name="tiny",
        model=model,
        dataset=DatasetSpec(name="shapes", count=60),
        training=TrainingConfig(epochs=1, batch_size=16, tta="flip"),
    )
    return str(save_project(project, folder / "tiny.cnnwb.json"))


def row(run: Path) -> dict[str, Any]:
    """Calibrate ``run`` (recorded in its run.json) and report what changed."""
    from core.inference.calibration import calibrate_run

    c = calibrate_run(run)
    before, after = c.test_before, c.test_after
    return {
        "run": run.name,
        "tta": c.tta,
        "accuracy before": c.accuracy_before,
        "accuracy after": c.accuracy_after,
        "ECE (15 bins) before": None if before is None else before.ece,
        "ECE (15 bins) after": None if after is None else after.ece,
        "temperature": c.temperature,
        "val NLL before": c.nll_before,
        "val NLL after": c.nll_after,
    }


def table(rows: list[dict[str, Any]]) -> str:
    """The rows as a Markdown table, numbers to 4 places."""

    def cell(value: Any) -> str:
        if value is None:
            return "-"
        return f"{value:.4f}" if isinstance(value, float) else str(value)

    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(cell(r[c]) for c in COLUMNS) + " |" for r in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", nargs="+", default=list(STRONG), metavar="NAME")
    parser.add_argument("--runs", nargs="+", type=Path, metavar="RUN_DIR")
    parser.add_argument("--epochs", type=int, help="override the recipe's epochs")
    parser.add_argument("--fraction", type=float, help="train on part of each split")
    parser.add_argument("--run-dir", type=Path, help="where the runs are kept")
    parser.add_argument("--json", type=Path, help="write the rows here")
    add_tiny_flag(parser)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        run_dir = args.run_dir or Path(scratch)
        if args.tiny:
            args.preset, args.runs = [tiny_project(Path(scratch))], None
        runs = args.runs or [train(name, run_dir, args) for name in args.preset]
        rows = [row(run) for run in runs]
    print(table(rows))
    changed = [r["run"] for r in rows if r["accuracy before"] != r["accuracy after"]]
    if changed:
        print(f"accuracy moved (TTA views averaged after the temperature): {changed}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
