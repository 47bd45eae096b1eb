"""Seconds per training step of a small conv net: float32 vs bfloat16, XLA on and off.

Run on purpose: ``python bench/precision.py [--epochs N] [--images N]``;
``--tiny`` only checks that the script works (``bench/_tiny.py``: 24
images, one timed epoch, two conv layers of 8 filters). The model is built
and compiled by the app's own code (``core.model_builder`` with the float32
classifier rule, ``core.training.compile``): a CIFAR-sized VGG-like net
(conv 32-32, 64-64, 128, each with BatchNormalization and ReLU, global
pooling, 10 classes) on random 32x32x3 images (speed does not depend on what
the pixels show), batch 128, one partial batch at the end of every epoch, no
validation.

Four variants train in turn, each from the same seed: float32; bfloat16
(``mixed_bfloat16`` forced with ``keras.mixed_precision.set_global_policy``,
which the app refuses on a CPU without bfloat16 instructions); and each again
with ``jit_compile=True`` (XLA). For each: the first epoch's wall time (it
includes tracing and compiling), the median seconds per full batch over the
timed epochs, and how long the last, smaller batch took in the first epoch
and in a later one: much longer in the first only means it was compiled for
its own shape once (XLA compiles one program per batch shape).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from typing import Any

from _machine import describe
from _tiny import add_tiny_flag

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

VARIANTS = (
    ("float32", False),
    ("mixed_bfloat16", False),
    ("float32", True),
    ("mixed_bfloat16", True),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs")
    parser.add_argument(
        "--images",
        type=int,
        default=2600,
        help="training images (not a multiple of the batch: the last batch is smaller)",
    )
    parser.add_argument("--batch-size", type=int, default=128)
    add_tiny_flag(parser)
    args = parser.parse_args()
    if args.tiny:
        # One full batch and a partial one: every path of the table, on the
        # smallest net whose XLA compiles (one per batch shape) take seconds.
        args.epochs, args.images, args.batch_size = 1, 24, 16

    import keras
    import numpy as np

    from core.model_builder import build_model
    from core.recipe.precision import BF16_FLAGS, cpu_flags
    from core.spec import HeadSpec, InputSpec, LayerSpec, ModelSpec
    from core.training.compile import compile_for
    from core.training.config import TrainingConfig

    def conv(n: int, filters: int) -> list[LayerSpec]:
        return [
            LayerSpec.create("Conv2D", f"conv_{n}", {"filters": filters}),
            LayerSpec.create("BatchNormalization", f"bn_{n}"),
            LayerSpec.create("Activation", f"relu_{n}", {"activation": "relu"}),
        ]

    widths = (8, 8) if args.tiny else (32, 32, 64, 64, 128)
    layers = [LayerSpec.create("Rescaling", "rescale")]
    for n, filters in enumerate(widths):
        layers += conv(n, filters)
        if n in (1, 3):
            layers.append(LayerSpec.create("MaxPooling2D", f"pool_{n}"))
    layers.append(LayerSpec.create("GlobalAveragePooling2D", "gap"))
    spec = ModelSpec(InputSpec(32, 32, 3), tuple(layers), HeadSpec(10), name="bench")

    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (args.images, 32, 32, 3)).astype("float32")
    y = rng.integers(0, 10, args.images)
    full, rest = divmod(args.images, args.batch_size)
    flags = cpu_flags()
    native = [f for f in BF16_FLAGS if f in flags]
    print(f"CPU: {describe()}")
    print(f"bfloat16 instructions: {', '.join(native) or 'none'}")
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    print(
        f"{args.images} images, batch {args.batch_size}: {full} full batches and "
        f"one of {rest}; 1 + {args.epochs} epochs per variant\n"
    )
    rows = []
    for policy, xla in VARIANTS:
        keras.utils.set_random_seed(0)
        keras.mixed_precision.set_global_policy(policy)
        try:
            model = build_model(spec, float32_output=policy != "float32")
            cfg = TrainingConfig(batch_size=args.batch_size, jit_compile=xla)
            compile_for(model, cfg, steps_per_epoch=full + bool(rest))
            clock = Clock()
            model.fit(
                x,
                y,
                batch_size=args.batch_size,
                epochs=1 + args.epochs,
                shuffle=False,
                verbose=0,
                callbacks=[clock.callback(keras)],
            )
            loss = model.evaluate(x, y, batch_size=args.batch_size, verbose=0)[0]
        finally:
            keras.mixed_precision.set_global_policy("float32")
        rows.append((policy, xla, clock, loss))
    print(table(rows, bool(rest)))
    print(f"\nload average at end: {os.getloadavg()[0]:.2f}")


class Clock:
    """Each epoch's wall time and each batch's, from Keras's callback hooks."""

    def __init__(self) -> None:
        self.epochs: list[float] = []
        self.batches: list[list[float]] = []
        self._epoch = self._batch = 0.0

    def callback(self, keras: Any) -> Any:  # Keras is imported in main()
        return keras.callbacks.LambdaCallback(
            on_epoch_begin=lambda epoch, logs: self._begin_epoch(),
            on_epoch_end=lambda epoch, logs: self.epochs.append(self._since_epoch()),
            on_train_batch_begin=lambda batch, logs: self._begin_batch(),
            on_train_batch_end=lambda batch, logs: self.batches[-1].append(
                time.perf_counter() - self._batch
            ),
        )

    def _begin_epoch(self) -> None:
        self._epoch = time.perf_counter()
        self.batches.append([])

    def _since_epoch(self) -> float:
        return time.perf_counter() - self._epoch

    def _begin_batch(self) -> None:
        self._batch = time.perf_counter()


def table(rows: list, partial: bool) -> str:
    """The figures as a Markdown table, float32 without XLA the reference."""
    head = (
        "| precision | XLA | first epoch s | s per full batch (median) | vs float32 "
        "| last batch, epoch 1 s | last batch, later s | final loss |\n"
        "|---|---|---|---|---|---|---|---|"
    )
    lines = [head]
    reference = None
    for policy, xla, clock, loss in rows:
        timed = [b for epoch in clock.batches[1:] for b in epoch[:-1] or epoch]
        step = statistics.median(timed)
        reference = reference or step
        first_last = clock.batches[0][-1] if partial else float("nan")
        later_last = clock.batches[-1][-1] if partial else float("nan")
        lines.append(
            f"| {policy} | {'on' if xla else 'off'} | {clock.epochs[0]:.1f} "
            f"| {step:.3f} | {step / reference:.2f}x | {first_last:.2f} "
            f"| {later_last:.3f} | {loss:.3f} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
