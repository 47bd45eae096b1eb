"""Scan time and input throughput on the full CIFAR-10 JPEG folder (60,000 files).

Run on purpose: ``python bench/dataset_scan.py [--archive PATH] [--workdir DIR]
[--runs N] [--all]``. Unpacks ``../shared/datasets/cifar-10-jpg/cifar-10-jpg.tar.gz``
into a work folder outside the repository (once), then measures:

1. the quick header scan of all 60,000 files the way a user runs it:
   ``python -m core dataset-info FOLDER --quick`` in a fresh interpreter, wall
   time, after one warm-up run so the page cache is warm (the figure the
   target is about: under 3 s on an idle machine);
2. with ``--all``: the full verification that decodes every image on every
   core, and one pass of the train split through our tf.data pipeline against
   a plain ``keras.utils.image_dataset_from_directory`` pipeline on the same
   folder (same image size and batch size, both ending in ``prefetch``).

The load average is printed with each figure: other jobs on the machine slow
every process down, so a figure taken under load is an upper bound.
``--tiny`` only checks that the script works (``bench/_tiny.py``): one quick
scan and ``--all`` on a folder of a few random JPEGs made in a temporary folder.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from _tiny import add_tiny_flag, jpeg_folder

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_ARCHIVE = (
    ROOT.parent / "shared" / "datasets" / "cifar-10-jpg" / "cifar-10-jpg.tar.gz"
)


def unpack(archive: Path, workdir: Path) -> Path:
    target = workdir / "cifar-10-jpg"
    if not (target / "train").is_dir():
        with tarfile.open(archive) as tar:
            tar.extractall(workdir, filter="data")
    return target


def quick_scan_command(folder: Path) -> float:
    """Wall time of ``python -m core dataset-info FOLDER --quick``, in seconds."""
    command = [sys.executable, "-m", "core", "dataset-info", str(folder), "--quick"]
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    return elapsed


def throughput(ds, images: int) -> float:
    start = time.perf_counter()
    seen = 0
    for x, _ in ds:
        seen += int(x.shape[0])
    elapsed = time.perf_counter() - start
    assert seen == images, (seen, images)
    return seen / elapsed


def full_checks(folder: Path, batch_size: int) -> None:
    import keras

    from core.data.load import open_dataset
    from core.data.pipeline import make_tf_dataset
    from core.data.scan import scan_folder, verify_images
    from core.data.spec import DatasetSpec

    scan = scan_folder(folder)
    start = time.perf_counter()
    verify_images(scan)
    full = time.perf_counter() - start
    print(f"full verification (decode, {os.cpu_count()} processes): {full:.2f} s")
    print(f"skipped: {len(scan.report.skipped)}")
    spec = DatasetSpec(
        kind="folder", name="cifar", path=str(folder), validation_fraction=0.0
    )
    data = open_dataset(spec)
    n = len(data.splits["train"])
    ours = make_tf_dataset(data, "train", (32, 32), 3, batch_size, cache=False)
    plain = keras.utils.image_dataset_from_directory(
        folder / "train",
        image_size=(32, 32),
        batch_size=batch_size,
        shuffle=False,
        verbose=False,
    ).prefetch(-1)
    plain_rate = throughput(plain, n)
    ours_rate = throughput(ours, n)
    print(f"tf.data, one pass over {n:,} train images (no cache):")
    print(f"  keras image_dataset_from_directory: {plain_rate:,.0f} images/s")
    print(f"  core.data.pipeline:                 {ours_rate:,.0f} images/s")
    print(f"  ratio: {ours_rate / plain_rate:.2f}x")


def measure(folder: Path, runs_wanted: int, batch_size: int, checks: bool) -> None:
    """The quick scan's wall times; with ``checks``, verification and tf.data."""
    files = sum(1 for _ in folder.rglob("*.jpg"))
    print(f"folder: {folder} ({files:,} files)")
    quick_scan_command(folder)  # warm-up: page cache, .pyc files
    runs = []
    for _ in range(runs_wanted):
        runs.append(quick_scan_command(folder))
        load = os.getloadavg()[0]
        print(f"  run {len(runs)}: {runs[-1]:.2f} s (load average {load:.1f})")
    print(
        f"quick scan, python -m core dataset-info --quick: median "
        f"{statistics.median(runs):.2f} s, min {min(runs):.2f} s"
    )
    if checks:
        full_checks(folder, batch_size)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archive", type=Path, default=DEFAULT_ARCHIVE)
    parser.add_argument(
        "--workdir", type=Path, default=Path(tempfile.gettempdir()) / "cnnwb-bench"
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument(
        "--all", action="store_true", help="also time verification and tf.data"
    )
    add_tiny_flag(parser)
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if args.tiny:
        with tempfile.TemporaryDirectory() as scratch:
            measure(jpeg_folder(Path(scratch) / "cifar-10-jpg"), 1, 8, checks=True)
        return
    args.workdir.mkdir(parents=True, exist_ok=True)
    measure(unpack(args.archive, args.workdir), args.runs, args.batch_size, args.all)


if __name__ == "__main__":
    main()
