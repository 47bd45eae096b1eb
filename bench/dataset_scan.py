"""Scan time and input throughput on the full CIFAR-10 JPEG folder (60,000 files).

Run on purpose: ``python bench/dataset_scan.py [--archive PATH] [--workdir DIR]``.
Unpacks ``../shared/datasets/cifar-10-jpg/cifar-10-jpg.tar.gz`` into a work
folder outside the repository (once), then measures:

1. the quick header scan of all 60,000 files (``core.data.scan.scan_folder``);
2. the full verification that decodes every image on every core;
3. one pass of the train split through our tf.data pipeline, against a plain
   ``keras.utils.image_dataset_from_directory`` pipeline on the same folder
   (same image size and batch size, both ending in ``prefetch``), in images/s.
"""

from __future__ import annotations

import argparse
import os
import tarfile
import tempfile
import time
from pathlib import Path

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


def throughput(ds, images: int) -> float:
    start = time.perf_counter()
    seen = 0
    for x, _ in ds:
        seen += int(x.shape[0])
    elapsed = time.perf_counter() - start
    assert seen == images, (seen, images)
    return seen / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archive", type=Path, default=DEFAULT_ARCHIVE)
    parser.add_argument(
        "--workdir", type=Path, default=Path(tempfile.gettempdir()) / "cnnwb-bench"
    )
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    args.workdir.mkdir(parents=True, exist_ok=True)
    folder = unpack(args.archive, args.workdir)

    from core.data.scan import scan_folder, verify_images

    start = time.perf_counter()
    scan = scan_folder(folder)
    quick = time.perf_counter() - start
    files = sum(len(v) for v in scan.splits.values())
    start = time.perf_counter()
    verify_images(scan)
    full = time.perf_counter() - start
    print(f"files: {files:,} in {len(scan.class_names)} classes")
    print(f"quick scan (headers): {quick:.2f} s")
    print(f"full verification (decode, {os.cpu_count()} processes): {full:.2f} s")
    print(f"skipped: {len(scan.report.skipped)}")

    import keras

    from core.data.load import open_dataset
    from core.data.pipeline import make_tf_dataset
    from core.data.spec import DatasetSpec

    spec = DatasetSpec(
        kind="folder", name="cifar", path=str(folder), validation_fraction=0.0
    )
    data = open_dataset(spec)
    n = len(data.splits["train"])
    ours = make_tf_dataset(data, "train", (32, 32), 3, args.batch_size, cache=False)
    plain = keras.utils.image_dataset_from_directory(
        folder / "train",
        image_size=(32, 32),
        batch_size=args.batch_size,
        shuffle=False,
        verbose=False,
    ).prefetch(-1)
    plain_rate = throughput(plain, n)
    ours_rate = throughput(ours, n)
    print(f"tf.data, one pass over {n:,} train images (no cache):")
    print(f"  keras image_dataset_from_directory: {plain_rate:,.0f} images/s")
    print(f"  core.data.pipeline:                 {ours_rate:,.0f} images/s")
    print(f"  ratio: {ours_rate / plain_rate:.2f}x")


if __name__ == "__main__":
    main()
