"""Images per second: one process vs 1 and 2 multi-worker CPU workers on localhost.

Run on purpose: ``python bench/scaling.py [--images N] [--epochs N]``. The same
tiny project (the built-in shapes dataset, a small CNN, global batch 32) is
trained three ways with ``python -m core train``: one process with
``--strategy cpu`` (Keras's ``fit``), a one-worker cluster and a two-worker
cluster with ``--strategy multi-worker`` (the custom distributed loop), the
workers on free localhost ports. Throughput is the train split's images over
the median epoch time the chief prints, the first epoch (tracing, caching)
left out. On a 2-core machine no speed-up is expected: two workers share the
cores and add an all-reduce per step; the point is the measured cost of the
distributed path. Appends a section to docs/benchmarks.md with ``--write``.
``--tiny`` only checks that the script works (``bench/_tiny.py``): one epoch of
64 images on a one-worker cluster (the distributed path), nothing written.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _section import date_and_command, heading, publish
from _tiny import add_tiny_flag

ROOT = Path(__file__).resolve().parents[1]
EPOCH_LINE = re.compile(r"^epoch (\d+)/\d+ .* ([\d.]+) s$")


def make_project(folder: Path, images: int, epochs: int) -> Path:
    from core.data.spec import DatasetSpec
    from core.project import Project, save_project
    from core.spec import HeadSpec, InputSpec, LayerSpec, ModelSpec
    from core.training.config import TrainingConfig

    spec = ModelSpec(
        InputSpec(32, 32, 3),
        (
            LayerSpec.create("Rescaling", "rescaling_1"),
            LayerSpec.create("Conv2D", "conv2d_1", {"filters": 16}),
            LayerSpec.create("MaxPooling2D", "max_pooling2d_1"),
            LayerSpec.create("Conv2D", "conv2d_2", {"filters": 32}),
            LayerSpec.create("GlobalAveragePooling2D", "gap_1"),
        ),
        HeadSpec(6),
        name="bench",
    )
    project = Project(
        name="bench",
        model=spec,
        dataset=DatasetSpec(name="shapes", count=images, image_size=(32, 32)),
        training=TrainingConfig(epochs=epochs, batch_size=32, early_stopping=False),
    )
    return save_project(project, folder / "bench.cnnwb.json")


def train(project: Path, workers: int) -> tuple[list[float], float]:
    """Epoch seconds the chief printed, and the wall time of the whole run."""
    base = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "core", "train", str(project)]
    if workers == 0:
        envs, command = [base], [*command, "--strategy", "cpu"]
    else:
        from core.training.multi_worker import localhost_configs

        envs = [{**base, "TF_CONFIG": c} for c in localhost_configs(workers)]
        command = [*command, "--strategy", "multi-worker"]
    started = time.monotonic()
    procs = [
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
        for env in envs
    ]
    outputs = [p.communicate()[0] for p in procs]
    wall = time.monotonic() - started
    if any(p.returncode for p in procs):
        raise SystemExit(f"a run failed: {[p.returncode for p in procs]}")
    seconds = [
        float(m.group(2))
        for line in outputs[0].splitlines()
        if (m := EPOCH_LINE.match(line))
    ]
    return seconds, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=1200, help="shapes images")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--write", action="store_true", help="to docs/benchmarks.md")
    add_tiny_flag(parser)
    args = parser.parse_args()
    ways = [
        ("1 process, `--strategy cpu` (Keras fit)", 0),
        ("1 worker, `--strategy multi-worker`", 1),
        ("2 workers, `--strategy multi-worker`", 2),
    ]
    if args.tiny:  # one worker runs the distributed code, in one process
        args.images, args.epochs, args.write = 64, 1, False
        ways = ways[1:2]

    from core.data.load import open_dataset

    with tempfile.TemporaryDirectory() as folder:
        project = make_project(Path(folder), args.images, args.epochs)
        from core.project import load_project

        spec = load_project(project).dataset
        assert spec is not None
        train_images = len(open_dataset(spec).splits["train"])
        rows = []
        for label, workers in ways:
            seconds, wall = train(project, workers)
            epoch = statistics.median(seconds[1:] or seconds)
            rows.append((label, epoch, train_images / epoch, wall))
            print(f"{label}: {epoch:.2f} s/epoch, {train_images / epoch:.0f} images/s")
    lines = [
        *heading("Multi-worker scaling", "scaling.py"),
        f"The shapes dataset ({args.images} images, {train_images} in the train "
        "split, 32x32), a 2-conv CNN, global batch 32, "
        f"{args.epochs} epochs; the first epoch is left out of the median.",
        "",
        f"- Machine: {os.cpu_count()} cores, no GPU; Python {platform.python_version()}"
        ", TensorFlow 2.21; other jobs were running on the machine (loaded, "
        "`nice`d): compare the rows, not the absolute figures",
        *date_and_command(
            "scaling.py", f"--images {args.images} --epochs {args.epochs}"
        ),
        "",
        "| run | median epoch | train images/s | wall time, start to exit |",
        "| --- | --- | --- | --- |",
        *(f"| {r[0]} | {r[1]:.2f} s | {r[2]:.0f} | {r[3]:.1f} s |" for r in rows),
        "",
    ]
    publish(lines, args.write)


if __name__ == "__main__":
    main()
