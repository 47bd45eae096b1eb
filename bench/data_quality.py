"""Issue 28's proof: the data-quality report on Fashion-MNIST, 5% of labels flipped.

Run on purpose (hours on this CPU; nothing is appended anywhere, copy the
printed table into docs/benchmarks.md):

  python bench/data_quality.py                    # labels, clean labels, duplicates
  python bench/data_quality.py --part labels --epochs 10
  python bench/data_quality.py --part duplicates  # the shared copies as they are
  python bench/data_quality.py --excluded left-out.txt   # retrain without these

``labels``: Fashion-MNIST's training images are written as a folder of PNGs
(``WORKDIR/fashion-mnist-flip5``) with 5% of them, seeded, in a wrong class
folder; a run of ``--preset`` (its model, augmentation and settings,
``--epochs`` epochs) trains on it; the full report ranks every image
(``core.data_quality.build.build_report``). Printed: precision and recall of
the flipped images among the top 5% of the ranking (issue 28's floor: recall
at least 0.6), the minutes the run and the report took, and the test
accuracy of a retrain with the excluded images left out against the noisy
run's. The images left out are the report's flagged training (and
validation) images, or the relative paths listed in ``--excluded FILE`` (one
per line, as the report and the project's exclusion list name them); the
retrain leaves them out through the project's exclusion list
(``DatasetSpec.exclusions``), as the app does. ``clean``: the same report on
the labels as given (how many it flags). ``duplicates``: the pixel
signatures and the pixel rule
(``core.data_quality.duplicates``) over every image of the shared
Fashion-MNIST and CIFAR-10 copies: pairs within train, within test and
train/test leaks (for scale: ciFAIR found about 3% of CIFAR-10's test images
near-duplicated in train, with a looser, manual criterion).

``--tiny`` (``bench/_tiny.py``) runs the labels and duplicates parts on 60
generated 16x16 images with a one-convolution model for two epochs and the
quick report, in a temporary folder (the clean part is the same code).
"""

from __future__ import annotations

import argparse
import math
import tarfile
import tempfile
import time
from pathlib import Path

import numpy as np
from _tiny import add_tiny_flag
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "datasets"
FLIP = 0.05
TOP = 0.05  # the share of the ranking the precision and recall are taken in


def arrays(args: argparse.Namespace) -> tuple[np.ndarray, ...]:
    """``(x_train, y_train, x_test, y_test)``: Fashion-MNIST, or tiny colours."""
    if args.tiny:
        rng = np.random.default_rng(0)
        y, yt = np.arange(48) % 3, np.arange(12) % 3
        x = rng.integers(0, 100, (60, 16, 16, 3), dtype=np.uint8)
        x[np.arange(60), :, :, np.concatenate([y, yt])] += 150
        return x[:48], y, x[48:], yt
    from core.data.builtin import load_idx

    return load_idx("fashion-mnist", str(Path(args.data) / "fashion-mnist"))


def write_folder(
    folder: Path, data: tuple[np.ndarray, ...], classes: list[str], flip: float
) -> set[str]:
    """The images as ``folder/{train,test}/<class>/N.png``, ``flip`` of train in
    a wrong class's folder (seeded); the flipped files' relative paths."""
    x, y, xt, yt = data
    rng = np.random.default_rng(0)
    wrong = rng.choice(len(y), round(flip * len(y)), replace=False)
    labels = y.copy()
    labels[wrong] = (y[wrong] + rng.integers(1, len(classes), len(wrong))) % len(
        classes
    )
    flipped = set()
    done = folder / ".complete"
    for split, images, given in (("train", x, labels), ("test", xt, yt)):
        for i, (image, label) in enumerate(zip(images, given, strict=True)):
            path = f"{split}/{classes[label]}/{i:05d}.png"
            if split == "train" and label != y[i]:
                flipped.add(path)
            if not done.exists():
                (folder / path).parent.mkdir(parents=True, exist_ok=True)
                pixels = image[..., 0] if image.shape[-1] == 1 else image
                Image.fromarray(pixels).save(folder / path)
    done.touch()
    return flipped


def project(args: argparse.Namespace):
    """The model, augmentation and settings a run trains with."""
    from dataclasses import replace

    from core.presets import named_preset

    if args.tiny:
        from core.augmentation.config import AugmentationConfig
        from core.spec import HeadSpec, InputSpec, LayerSpec, ModelSpec
        from core.training.config import TrainingConfig

        spec = ModelSpec(
            InputSpec(16, 16, 3),
            (
                LayerSpec.create("Rescaling", "rescaling_1"),
                LayerSpec.create("Conv2D", "conv2d_1", {"filters": 4}),
                LayerSpec.create("GlobalAveragePooling2D", "gap_1"),
            ),
            HeadSpec(3),
        )
        cfg = TrainingConfig(epochs=2, batch_size=16, learning_rate=0.01)
        return spec, AugmentationConfig(), cfg
    recipe = named_preset(args.preset).project()
    cfg = recipe.training
    if args.epochs:
        cfg = replace(cfg, epochs=args.epochs)
    return recipe.model, recipe.augmentation, cfg


def train(folder: Path, runs: Path, args: argparse.Namespace, label: str, left_out=()):
    """A run on ``folder`` without the ``left_out`` relative paths (through the
    project's exclusion list, as the app leaves them out): (run folder, test
    accuracy, seconds)."""
    from core.data.exclusions import Exclusions
    from core.data.load import open_dataset
    from core.data.spec import DatasetSpec
    from core.recipe.exclusions import file_digest
    from core.runs import RunStore
    from core.training.session import run_session

    spec, augmentation, cfg = project(args)
    listed = Exclusions()
    for name in sorted(left_out):
        listed = listed.excluding(name, file_digest(folder / name) or "missing")
    data = DatasetSpec(
        kind="folder", name=folder.name, path=str(folder), exclusions=listed
    )
    start = time.perf_counter()
    out = run_session(
        spec,
        dataset=open_dataset(data),
        cfg=cfg,
        augmentation=augmentation,
        store=RunStore(runs),
        label=label,
        data_spec=data,
    )
    accuracy = out.evaluation.accuracy if out.evaluation else math.nan
    return out.run.path, accuracy, time.perf_counter() - start


def labels_part(args, work: Path, classes: list[str], data, flip: float) -> None:
    from core.data_quality.build import build_report

    name = f"fashion-mnist-flip{round(flip * 100)}"
    folder = work / name
    flipped = write_folder(folder, data, classes, flip)
    run, accuracy, run_seconds = train(folder, work / "runs", args, name)
    start = time.perf_counter()
    # --tiny: the quick report (no fold models), so the check takes a minute.
    report = build_report(run, quick=args.tiny, folds=args.folds)
    report_seconds = time.perf_counter() - start
    top = report.labels[: math.ceil(TOP * len(report.labels))]
    hits = sum(issue.image.file in flipped for issue in top)
    print(f"\n{name}: {report.checked}")
    print("| flipped | flagged | top 5% | precision | recall | run min | report min |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    precision = hits / len(top) if top else math.nan
    recall = hits / len(flipped) if flipped else math.nan
    print(
        f"| {len(flipped):,} | {len(report.flagged):,} | {len(top):,} | "
        f"{precision:.3f} | {recall:.3f} | {run_seconds / 60:.1f} | "
        f"{report_seconds / 60:.1f} |"
    )
    if not flip:
        return
    # The flagged training images: leaving test images out would flatter the test.
    excluded = {i.image.file for i in report.flagged if i.image.split != "test"}
    if args.tiny:  # so the exclusion list's path runs even when nothing is flagged
        kept = [i.image.file for i in report.labels if i.image.split != "test"]
        excluded |= set(kept[:1])
    if args.excluded:
        lines = Path(args.excluded).read_text(encoding="utf-8").splitlines()
        excluded = {line.strip() for line in lines if line.strip()}
    _, cleaned_accuracy, _ = train(
        folder, work / "runs", args, f"{name}-cleaned", excluded
    )
    print(
        f"test accuracy: noisy labels {accuracy:.4f}; {len(excluded):,} images "
        f"left out {cleaned_accuracy:.4f}"
    )


def duplicates_part(args, work: Path, data) -> None:
    """The pixel rule over each shared copy's images: pairs and leaks."""
    sets = {"fashion-mnist": (data[0], data[2])}
    if not args.tiny:
        sets["cifar10"] = cifar10(Path(args.data), work)
    from core.data_quality.duplicates import find_pairs
    from core.data_quality.pixel_hash import signatures

    print("\n| dataset | images | pairs in train | in test | train/test leaks | s |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, (train, test) in sets.items():
        start = time.perf_counter()
        hashes, thumbs = signatures(np.concatenate([train, test]))
        pairs = find_pairs(hashes, thumbs)
        n = len(train)
        kinds = [(p.first < n) + (p.second < n) for p in pairs]  # 2 train, 0 test
        leaked = len({p.second for p in pairs if p.first < n <= p.second})
        print(
            f"| {name} | {n + len(test):,} | {kinds.count(2):,} | {kinds.count(0):,} "
            f"| {kinds.count(1):,} ({leaked:,} test images) | "
            f"{time.perf_counter() - start:.0f} |"
        )


def cifar10(data: Path, work: Path) -> tuple[np.ndarray, np.ndarray]:
    """The shared CIFAR-10 JPEGs as arrays (train, test), unpacked once."""
    target = work / "cifar-10-jpg"
    if not (target / "train").is_dir():
        with tarfile.open(data / "cifar-10-jpg" / "cifar-10-jpg.tar.gz") as tar:
            tar.extractall(work, filter="data")
    return tuple(
        np.stack([np.asarray(Image.open(f).convert("RGB")) for f in files])
        for files in (sorted((target / s).rglob("*.jpg")) for s in ("train", "test"))
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--part", choices=("labels", "clean", "duplicates", "all"), default="all"
    )
    parser.add_argument("--preset", default="fashion-mnist-cnn")
    parser.add_argument("--epochs", type=int, help="default: the preset's")
    parser.add_argument(
        "--excluded",
        metavar="FILE",
        help="relative paths to leave out of the retrain, one a "
        "line (default: the report's flagged images)",
    )
    parser.add_argument("--folds", type=int, default=4, help="the report's fold models")
    parser.add_argument("--data", default=str(DEFAULT_DATA), help="shared datasets")
    parser.add_argument("--workdir", help="where the folders and runs go")
    add_tiny_flag(parser)
    args = parser.parse_args()
    from core.data.builtin import CLASS_NAMES

    classes = (
        ["red", "green", "blue"] if args.tiny else list(CLASS_NAMES["fashion-mnist"])
    )
    data = arrays(args)
    with tempfile.TemporaryDirectory() as temporary:
        work = Path(args.workdir or temporary)
        if args.part in ("labels", "all"):
            labels_part(args, work, classes, data, FLIP)
        if args.part in ("clean", "all") and not args.tiny:
            labels_part(args, work, classes, data, 0.0)
        if args.part in ("duplicates", "all"):
            duplicates_part(args, work, data)


if __name__ == "__main__":
    main()
