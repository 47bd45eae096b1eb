"""Wall time per epoch: the app's training engine with its live listener vs plain fit.

Run on purpose: ``python bench/training_overhead.py [--repeats N]``. Both sides
train the ``fashion-mnist-cnn`` preset on Fashion-MNIST (from
``../shared/datasets``, else the Keras cache) through the same cached tf.data
pipeline, one epoch per measurement, interleaved, and the median per side is
compared. The engine side runs ``core.training.engine.train`` with a listener
that receives every (rate-limited) batch and epoch log, as the GUI's does.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


class CountingListener:
    """Does what the GUI bridge does per call: hand a dict to another object."""

    def __init__(self) -> None:
        self.calls = 0

    def on_train_begin(self, total_epochs: int, steps_per_epoch: int) -> None:
        self.calls += 1

    def on_batch_end(self, epoch: int, batch: int, logs: dict[str, float]) -> None:
        self.calls += 1

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        self.calls += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=21)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument(
        "--steps",
        type=int,
        default=200,
        help="batches per measured epoch (short epochs, many repeats: this VM's "
        "timings are bimodal, so a median needs many samples)",
    )
    args = parser.parse_args()

    import keras

    from core.data.load import open_dataset
    from core.data.pipeline import make_tf_dataset
    from core.data.spec import DatasetSpec
    from core.model_builder import build_model
    from core.presets import preset
    from core.training.config import TrainingConfig
    from core.training.engine import compile_model, train

    data = open_dataset(DatasetSpec(name="fashion-mnist"))
    full = make_tf_dataset(data, "train", (28, 28), 1, args.batch_size, True, 0)
    train_ds = full.take(args.steps).cache()
    steps = int(train_ds.cardinality().numpy())
    cfg = TrainingConfig(epochs=1, batch_size=args.batch_size, checkpoint=False)
    keras.utils.set_random_seed(0)
    plain = build_model(preset("fashion-mnist-cnn"))
    engine = build_model(preset("fashion-mnist-cnn"))
    engine.set_weights(plain.get_weights())
    compile_model(plain, cfg, steps)
    compile_model(engine, cfg, steps)
    listener = CountingListener()
    plain.fit(train_ds, epochs=1, verbose=0)  # warm-up: tracing, cache fill
    train(engine, train_ds, None, cfg, listener)
    plain_times, engine_times = [], []
    for _ in range(args.repeats):
        start = time.perf_counter()
        plain.fit(train_ds, epochs=1, verbose=0)
        plain_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        train(engine, train_ds, None, cfg, listener)
        engine_times.append(time.perf_counter() - start)
    p, e = statistics.median(plain_times), statistics.median(engine_times)
    print(
        f"{steps * args.batch_size:,} Fashion-MNIST images/epoch, batch "
        f"{args.batch_size}, {args.repeats} interleaved repeats"
    )
    print(
        "plain model.fit(verbose=0): "
        + " ".join(f"{t:.2f}" for t in plain_times)
        + f" s (median {p:.2f} s)"
    )
    print(
        "core train() + listener:    "
        + " ".join(f"{t:.2f}" for t in engine_times)
        + f" s (median {e:.2f} s)"
    )
    print(f"listener calls: {listener.calls:,}")
    print(f"overhead: {(e / p - 1) * 100:.1f}%")


if __name__ == "__main__":
    main()
