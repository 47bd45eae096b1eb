"""Augmentation throughput: core.augmentation vs the legacy ImageDataGenerator.

Run on purpose: ``python bench/augmentation.py [--repeats N]``. The tutorial's
settings (rotation 10, zoom 0.1, shear 0.5, width/height shift 0.1, horizontal
flip, fill "nearest") on 28x28 grayscale (Fashion-MNIST when available) and
150x150 RGB images, same image count and batch size (32) on both sides, warm-up
excluded, the median of interleaved repeats (the machine is shared and noisy).
Needs scipy (the legacy generator's resampler): ``pip install -e ".[bench]"``.
``--tiny`` only checks that the script works (``bench/_tiny.py``): 64 and 32
generated images, one repeat, and the legacy side skipped without scipy.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import time
from dataclasses import replace

from _tiny import add_tiny_flag

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

SETTINGS = dict(
    rotation_range=10,
    zoom_range=0.1,
    shear_range=0.5,
    width_shift_range=0.1,
    height_shift_range=0.1,
    horizontal_flip=True,
    fill_mode="nearest",
)


def images(size: int, count: int, tiny: bool = False) -> np.ndarray:
    if size == 28 and not tiny:
        from core.data.builtin import load_idx

        try:
            return load_idx("fashion-mnist")[0][:count].astype("float32")
        except Exception:  # offline and no local copy: any 28x28 images will do
            pass
    from PIL import Image

    from core.data.shapes import generate

    small, _ = generate(count, seed=0)
    channels = 1 if size == 28 else 3
    out = np.stack(
        [np.asarray(Image.fromarray(im).resize((size, size))) for im in small]
    ).astype("float32")
    return out[..., :1] if channels == 1 else out


def legacy_rate(x: np.ndarray) -> float:
    import tensorflow as tf

    gen = tf.keras.preprocessing.image.ImageDataGenerator(**SETTINGS)
    it = gen.flow(x, batch_size=32, shuffle=False, seed=0)
    start = time.perf_counter()
    for i in range(len(it)):
        it[i]
    return len(x) / (time.perf_counter() - start)


def ours_rate(x: np.ndarray) -> float:
    import tensorflow as tf

    from core.augmentation.config import PRESETS
    from core.augmentation.pipeline import augment_dataset

    cfg = replace(PRESETS["light"], fill_mode="nearest")  # as SETTINGS
    labels = np.zeros(len(x), np.int64)
    # The app's pipeline keeps images uint8 until they are batched and augmented.
    pixels = x.astype(np.uint8)
    batches = tf.data.Dataset.from_tensor_slices((pixels, labels)).batch(32)
    ds = augment_dataset(batches, cfg, num_classes=2, batch_size=32)
    start = time.perf_counter()
    for _ in ds:
        pass
    return len(x) / (time.perf_counter() - start)


def placement_seconds(x: np.ndarray, where: str) -> float:
    """Median seconds per epoch of fashion-mnist-cnn with augmentation ``where``."""
    import keras
    import tensorflow as tf

    from core.augmentation.config import PRESETS
    from core.augmentation.pipeline import augment_dataset, build_augmenter
    from core.model_builder import build_model
    from core.presets import preset

    cfg = PRESETS["light"]
    y = np.arange(len(x)) % 10
    batches = tf.data.Dataset.from_tensor_slices((x.astype(np.uint8), y)).batch(32)
    model = build_model(preset("fashion-mnist-cnn"))
    if where == "model":
        model = keras.Sequential([build_augmenter(cfg), model])
        data = batches.map(lambda a, b: (tf.cast(a, tf.float32), b)).prefetch(-1)
    else:
        data = augment_dataset(batches, cfg, 10, batch_size=32)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    times = []
    for _ in range(3):
        start = time.perf_counter()
        model.fit(data, epochs=1, verbose=0)
        times.append(time.perf_counter() - start)
    return statistics.median(times[1:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    add_tiny_flag(parser)
    args = parser.parse_args()
    counts = (64, 32) if args.tiny else (6400, 640)
    repeats = 1 if args.tiny else args.repeats
    # A tiny run checks our side wherever it runs; the figures need scipy.
    legacy_side = legacy_rate
    if args.tiny and importlib.util.find_spec("scipy") is None:
        print("scipy is not installed: the legacy side is skipped")
        legacy_side = ours_rate
    speedups = {}
    for size, count in zip((28, 150), counts, strict=True):
        x = images(size, count, args.tiny)
        legacy_side(x[:64])
        ours_rate(x[:64])  # warm-up: imports, tracing
        legacy, ours = [], []
        for _ in range(repeats):
            legacy.append(legacy_side(x))
            ours.append(ours_rate(x))
        lo, hi = statistics.median(legacy), statistics.median(ours)
        speedups[size] = hi / lo
        print(
            f"{size}x{size}x{x.shape[-1]}, {count} images: ImageDataGenerator.flow "
            f"{lo:,.0f} images/s, core.augmentation {hi:,.0f} images/s, "
            f"{hi / lo:.1f}x"
        )
    x28 = images(28, counts[0], args.tiny)
    pipeline_s = placement_seconds(x28, "pipeline")
    model_s = placement_seconds(x28, "model")
    print(
        f"placement, fashion-mnist-cnn, {counts[0]} images/epoch: tf.data pipeline "
        f"{pipeline_s:.2f} s, inside the model {model_s:.2f} s"
    )
    worst = min(speedups, key=speedups.get)
    print(
        f"speed-up: {speedups[worst]:.1f}x (the lower one, at {worst}x{worst}; "
        f"28x28: {speedups[28]:.1f}x, 150x150: {speedups[150]:.1f}x)"
    )


if __name__ == "__main__":
    main()
