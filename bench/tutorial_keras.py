"""A tutorial's own plain Keras code on this machine's copy of its data.

  python bench/tutorial_keras.py cifar10-simple-cnn [--seed N]
  python bench/tutorial_keras.py fashion-mnist-cnn [--seed N]
  python bench/tutorial_keras.py --tiny   # does this script still work?

Where the app's preset misses (or beats) the figure a tutorial printed, this
separates the app from the data: the same layers and recipe written as the
tutorial wrote them (``model.fit`` on numpy arrays, no ``core`` import), on
the same files the app reads (Fashion-MNIST's IDX files, CIFAR-10's JPEG
folder). If this script lands where the app does, the gap is the data or the
tutorial's luck, not the app. Prints one JSON line: the test accuracy of the
model as it stands after the last epoch, as the tutorials evaluate it.
``bench/reproduce.py --plain NAME`` runs it and records a row. ``--tiny``
(``bench/_tiny.py``) trains the CIFAR-10 tutorial's net for one epoch on a
few random JPEGs made in a temporary folder.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _tiny import add_tiny_flag, jpeg_folder  # noqa: E402  (this script's folder)

from core.data.builtin import cifar10_source, shared_datasets_dir  # noqa: E402

TUTORIALS = ("cifar10-simple-cnn", "fashion-mnist-cnn")


def _idx(path: Path, offset: int) -> np.ndarray:
    with gzip.open(path) as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset)


def fashion_mnist() -> tuple[np.ndarray, ...]:
    folder = shared_datasets_dir() / "fashion-mnist"
    x = _idx(folder / "train-images-idx3-ubyte.gz", 16).reshape(-1, 28, 28, 1)
    y = _idx(folder / "train-labels-idx1-ubyte.gz", 8)
    xt = _idx(folder / "t10k-images-idx3-ubyte.gz", 16).reshape(-1, 28, 28, 1)
    yt = _idx(folder / "t10k-labels-idx1-ubyte.gz", 8)
    return x, y, xt, yt


def cifar10_jpeg(root: Path) -> tuple[np.ndarray, ...]:
    """A CIFAR-10 JPEG folder, decoded with Pillow, classes in name order."""
    from PIL import Image

    classes = sorted(p.name for p in (root / "train").iterdir() if p.is_dir())

    def load(split: str) -> tuple[np.ndarray, np.ndarray]:
        xs, ys = [], []
        for i, name in enumerate(classes):
            for path in sorted((root / split / name).glob("*.jpg")):
                with Image.open(path) as image:
                    xs.append(np.asarray(image.convert("RGB")))
                ys.append(i)
        return np.stack(xs), np.array(ys, np.uint8)

    return (*load("train"), *load("test"))


def three_conv_net(
    shape: tuple[int, int, int],
    filters: tuple[int, int, int],
    dense: int,
    dropout: float = 0.0,
    softmax: bool = True,
) -> Any:
    """Both tutorials' net: three valid 3x3 ReLU convolutions, the first two
    pooled, then Flatten, one ReLU Dense layer and ten outputs."""
    import keras
    from keras import layers

    a, b, c = filters
    stack = [keras.Input(shape), layers.Conv2D(a, 3, activation="relu")]
    stack += [layers.MaxPooling2D(), layers.Conv2D(b, 3, activation="relu")]
    stack += [layers.MaxPooling2D(), layers.Conv2D(c, 3, activation="relu")]
    stack += [layers.Flatten(), layers.Dense(dense, activation="relu")]
    stack += [layers.Dropout(dropout)] if dropout else []
    stack += [layers.Dense(10, activation="softmax" if softmax else None)]
    return keras.Sequential(stack)


def run(
    name: str, seed: int, cifar: Path | None = None, epochs: int | None = None
) -> dict[str, float | int | str]:
    """``cifar``: the CIFAR-10 folder (default: the app's unpacked copy);
    ``epochs``: instead of the tutorial's."""
    import keras

    keras.utils.set_random_seed(seed)
    if name == "cifar10-simple-cnn":
        # tensorflow.org/tutorials/images/cnn: validated on the test set.
        x, y, xt, yt = cifar10_jpeg(cifar or cifar10_source())
        x, xt = x / 255.0, xt / 255.0
        model = three_conv_net((32, 32, 3), (32, 64, 64), dense=64, softmax=False)
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        fit = {"epochs": epochs or 10, "validation_data": (xt, yt)}
    else:
        # The Fashion-MNIST CNN tutorial: Keras holds out the last quarter.
        x, y, xt, yt = fashion_mnist()
        x, xt = x / 255.0, xt / 255.0
        model = three_conv_net((28, 28, 1), (32, 64, 128), dense=128, dropout=0.3)
        loss = keras.losses.SparseCategoricalCrossentropy()
        fit = {"epochs": epochs or 25, "validation_split": 0.25}
    model.compile(optimizer="adam", loss=loss, metrics=["accuracy"])
    start = time.monotonic()
    history = model.fit(x, y, batch_size=32, verbose=2, **fit)
    _, accuracy = model.evaluate(xt, yt, verbose=0)
    return {
        "preset": name,
        "seed": seed,
        "epochs": len(history.history["loss"]),
        "train_accuracy": round(history.history["accuracy"][-1], 4),
        "val_accuracy": round(history.history["val_accuracy"][-1], 4),
        "test_accuracy": round(float(accuracy), 4),
        "seconds": round(time.monotonic() - start),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("name", nargs="?", choices=TUTORIALS)
    parser.add_argument("--seed", type=int, default=0)
    add_tiny_flag(parser)
    args = parser.parse_args(argv)
    if args.tiny:
        with tempfile.TemporaryDirectory() as scratch:
            cifar = jpeg_folder(Path(scratch))
            result = run("cifar10-simple-cnn", args.seed, cifar, epochs=1)
    elif args.name is None:
        parser.error(f"name the tutorial: one of {', '.join(TUTORIALS)}")
    else:
        result = run(args.name, args.seed)
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
