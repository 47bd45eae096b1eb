"""The ``--tiny`` mode every bench script has: its own code on the smallest data.

``tests/test_bench_scripts.py`` runs ``python bench/NAME.py --tiny`` for every
script in this folder, so a script that no longer runs fails the test suite
instead of rotting until someone needs its figures again. A tiny run prints
figures nobody should quote, takes seconds, needs no dataset from
``../shared/datasets`` and writes nothing into the repository: its files go to
a temporary folder that is removed at the end.
"""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = (
    "only check that the script works: the same code on the smallest data and "
    "repetitions, files in a temporary folder (its figures mean nothing)"
)


def add_tiny_flag(parser: argparse.ArgumentParser) -> None:
    """``--tiny``, with the same help in every script."""
    parser.add_argument("--tiny", action="store_true", help=HELP)


def jpeg_folder(root: Path, classes: int = 3, train: int = 8, test: int = 4) -> Path:
    """A CIFAR-10-like image folder of random 32x32 JPEGs under ``root``.

    ``root/train/class_K/N.jpg`` and ``root/test/class_K/N.jpg``, the layout of
    ``../shared/datasets/cifar-10-jpg``, so a script meant for that folder runs
    its own path on a few files made on the spot.
    """
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    for split, count in (("train", train), ("test", test)):
        for k in range(classes):
            folder = root / split / f"class_{k}"
            folder.mkdir(parents=True, exist_ok=True)
            for n in range(count):
                pixels = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
                Image.fromarray(pixels).save(folder / f"{n:04d}.jpg")
    return root
