"""Issue 27's report: a sweep of learning rate and weight decay for fashion-mnist-cnn.

Run on purpose: ``python bench/sweep_report.py [--data DIR] [--epochs N]
[--trials N] [--write]``. Three measurements of the ``fashion-mnist-cnn``
preset (its split of the 70,000 images: 45,000 train, 15,000 validation, the
official 10,000 test; the IDX files from ``--data``, by default
``../shared/datasets/fashion-mnist``), all at the same ``--epochs`` (3):

1. **The preset's defaults** (Adam, learning rate 1e-3): one run, tested.
2. **A sweep** (``core.sweeps``, random search, ``--trials`` 8) over the
   learning rate (1e-4 to 1e-2, log) and the weight decay (1e-4 to 0.1, log).
   Weight decay acts with AdamW and Muon only, so the sweep's project trains
   with AdamW (the defaults' row keeps the preset's Adam). Trials validate
   only; the best trial's run is then tested (``evaluate_run``), once.
3. **The learning-rate finder** (``core.training.lr_finder``) on the sweep's
   project: its suggestion beside the sweep's best learning rate.

Prints a table; appends it to docs/benchmarks.md with ``--write``.
``--tiny`` only checks that the script works (``bench/_tiny.py``): the same
three steps with one small convolution on 60 built-in shapes, one one-epoch
trial and a short range test, in a temporary folder, nothing written.
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from _section import date_and_command, heading, publish
from _tiny import add_tiny_flag

ROOT = Path(__file__).resolve().parents[1]
PRESET = "fashion-mnist-cnn"
DATA = ROOT.parent / "shared" / "datasets" / "fashion-mnist"
VARY = {
    "training.learning_rate": {"min": 0.0001, "max": 0.01, "log": True},
    "training.weight_decay": {"min": 0.0001, "max": 0.1, "log": True},
}


def projects(data: Path | None, epochs: int, tiny: bool) -> tuple[Any, Any]:
    """The preset at ``epochs`` epochs, and the same with AdamW for the sweep."""
    from core.data.spec import DatasetSpec
    from core.presets import named_preset
    from core.spec import HeadSpec, InputSpec, LayerSpec, ModelSpec

    preset = named_preset(PRESET).project()
    dataset = replace(preset.dataset, path=str(data)) if data else preset.dataset
    if tiny:  # one small convolution on 60 shapes (64x64 RGB, 6 classes)
        dataset = DatasetSpec(name="shapes", count=60)
        layers = (
            LayerSpec.create("Rescaling", "rescaling_1"),
            LayerSpec.create("Conv2D", "conv2d_1", {"filters": 4, "strides": 4}),
            LayerSpec.create("GlobalAveragePooling2D", "gap_1"),
        )
        model = ModelSpec(InputSpec(64, 64, 3), layers, HeadSpec(6), PRESET)
        preset = replace(preset, model=model)
    preset = replace(
        preset, dataset=dataset, training=replace(preset.training, epochs=epochs)
    )
    swept = replace(preset, training=replace(preset.training, optimizer="adamw"))
    return preset, swept


def measure(
    folder: Path, data: Path | None, epochs: int, trials: int, tiny: bool
) -> dict[str, Any]:
    from core.data.load import open_dataset
    from core.runs import RunStore
    from core.sweeps.search import run_sweep
    from core.sweeps.spec import parse_sweep
    from core.training.lr_finder import find_learning_rate
    from core.training.run_evaluation import evaluate_run
    from core.training.session import run_session

    preset, swept = projects(data, epochs, tiny)
    assert preset.dataset is not None
    dataset = open_dataset(preset.dataset)
    store = RunStore(folder / "runs")
    started = time.monotonic()
    defaults = run_session(
        preset.model,
        dataset=dataset,
        cfg=preset.training,
        augmentation=preset.augmentation,
        store=store,
        label="defaults",
        data_spec=preset.dataset,
    )
    defaults_minutes = (time.monotonic() - started) / 60
    spec = parse_sweep({"name": "lr-wd", "trials": trials, "vary": VARY}, swept)
    started = time.monotonic()
    outcome = run_sweep(spec, swept, dataset, store)
    sweep_minutes = (time.monotonic() - started) / 60
    best = outcome.best
    if best is None or best.run is None:
        raise SystemExit("no trial completed: see the sweep's records")
    tested = evaluate_run(store.root / best.run, dataset)
    finder = find_learning_rate(
        swept.model,
        dataset,
        swept.training,
        swept.augmentation,
        batches=12 if tiny else None,
    )
    evaluation = defaults.evaluation
    return {
        "defaults_test": evaluation.accuracy if evaluation else None,
        "defaults_val": defaults.result.best_value,
        "defaults_minutes": defaults_minutes,
        "best": best,
        "best_test": tested.accuracy,
        "completed": sum(t.status == "completed" for t in outcome.trials),
        "trials": len(outcome.trials),
        "sweep_minutes": sweep_minutes,
        "suggestion": finder.suggestion,
    }


def table(found: dict[str, Any], epochs: int) -> list[str]:
    best = found["best"]
    rate = best.values["training.learning_rate"]
    decay = best.values["training.weight_decay"]
    suggestion = found["suggestion"]
    ratio = f"{suggestion / rate:.2g}x the sweep's" if suggestion else "none"
    return [
        "| what | settings | best validation accuracy | test accuracy | minutes |",
        "| --- | --- | --- | --- | --- |",
        f"| preset defaults, {epochs} epochs | Adam, learning rate 0.001 | "
        f"{_pct(found['defaults_val'])} | {_pct(found['defaults_test'])} | "
        f"{found['defaults_minutes']:.1f} |",
        f"| sweep's best (trial {best.number} of {found['trials']}, "
        f"{found['completed']} completed), {epochs} epochs | AdamW, learning rate "
        f"{rate:.3g}, weight decay {decay:.3g} | {_pct(best.score)} | "
        f"{_pct(found['best_test'])} | {found['sweep_minutes']:.1f} (whole sweep) |",
        f"| learning-rate finder (AdamW) | suggests {suggestion or 0:.3g} "
        f"({ratio}) | | | |",
    ]


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.2f}%"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA, help="the IDX files")
    parser.add_argument("--epochs", type=int, default=3, help="epochs of every run")
    parser.add_argument("--trials", type=int, default=8, help="the sweep's trials")
    parser.add_argument("--write", action="store_true", help="to docs/benchmarks.md")
    add_tiny_flag(parser)
    args = parser.parse_args()
    if args.tiny:
        args.epochs, args.trials, args.write = 1, 1, False
    with tempfile.TemporaryDirectory() as scratch:
        found = measure(Path(scratch), args.data, args.epochs, args.trials, args.tiny)
    lines = [
        *heading("Sweep of learning rate and weight decay", "sweep_report.py"),
        f"The `{PRESET}` preset (its split of Fashion-MNIST: 45,000 training, "
        f"15,000 validation and the official 10,000 test images), {args.epochs} epochs "
        f"for every run. A random search of {args.trials} trials over the learning "
        "rate (1e-4 to 1e-2, log) and the weight decay (1e-4 to 0.1, log), with "
        "AdamW (weight decay acts with AdamW and Muon only); trials validate, and "
        "only the best trial's run was tested. The finder ran on the sweep's "
        "project (AdamW, the preset's batch size).",
        "",
        f"- Machine: no GPU; Python {platform.python_version()}, TensorFlow 2.21",
        *date_and_command(
            "sweep_report.py", f"--epochs {args.epochs} --trials {args.trials}"
        ),
        "",
        *table(found, args.epochs),
        "",
    ]
    publish(lines, args.write)


if __name__ == "__main__":
    main()
