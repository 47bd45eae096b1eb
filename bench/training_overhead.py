"""Wall time per epoch: the Start button's path (run_session, run folder) vs plain fit.

Run on purpose: ``python bench/training_overhead.py [--repeats N]``; ``--tiny``
only checks that the script works (``bench/_tiny.py``: 120 generated shapes
images, the model fitted to them, one repeat). Both
sides train the ``fashion-mnist-cnn`` preset on full Fashion-MNIST epochs (from
``../shared/datasets``, else the Keras cache) through the same cached tf.data
pipelines, with validation. The app's side is ``run_session`` with a run folder
and the default callbacks (best checkpoint, BackupAndRestore, CSV log) and a
listener that receives every (rate-limited) batch and epoch log, as the GUI's
does; the plain side is ``model.fit`` on the same model and data. Each side
trains two epochs per repeat and the second is timed, end of epoch 1 to end of
epoch 2, so it holds everything an epoch costs (the checkpoint written at its
end, the backup and the CSV row of the epoch before) and no start-up (building,
tracing). Repeats are interleaved; the medians are compared.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from dataclasses import replace

from _tiny import add_tiny_flag

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

EPOCHS = 2  # the second is timed


class EpochClock:
    """Timestamps the end of each epoch; the GUI bridge's work per call, too."""

    def __init__(self) -> None:
        self.calls = 0
        self.ends: list[float] = []

    def on_train_begin(self, total_epochs: int, steps_per_epoch: int) -> None:
        self.calls += 1

    def on_batch_end(self, epoch: int, batch: int, logs: dict[str, float]) -> None:
        self.calls += 1

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        self.calls += 1
        self.ends.append(time.perf_counter())

    def timed_epoch(self) -> float:
        return self.ends[-1] - self.ends[-2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--batch-size", type=int, default=32)
    add_tiny_flag(parser)
    args = parser.parse_args()
    repeats = 1 if args.tiny else args.repeats

    import keras

    from core.data.load import open_dataset
    from core.data.model_fit import fit_model_to_data
    from core.data.pipeline import make_tf_dataset
    from core.data.spec import DatasetSpec
    from core.model_builder import build_model
    from core.presets import preset
    from core.runs import RunStore
    from core.training.compile import compile_for
    from core.training.config import TrainingConfig
    from core.training.loss import one_hot_labels
    from core.training.session import run_session

    spec = preset("fashion-mnist-cnn")
    if args.tiny:  # the model fitted to the data, as loading it in the app does
        data = open_dataset(DatasetSpec(name="shapes", count=120))
        shape, head = fit_model_to_data(spec.input, spec.head, data)
        spec = replace(spec, input=shape, head=head)
    else:
        data = open_dataset(DatasetSpec(name="fashion-mnist"))
    h, w, c = spec.input.shape
    # The defaults (checkpoint, backup, CSV log), as a new project's Start trains.
    cfg = TrainingConfig(epochs=EPOCHS, batch_size=args.batch_size)

    train_ds = make_tf_dataset(data, "train", (h, w), c, cfg.batch_size, True, 0)
    val_ds = make_tf_dataset(data, "validation", (h, w), c, cfg.batch_size)
    keras.utils.set_random_seed(0)
    plain = build_model(spec)
    one_hot = one_hot_labels(spec.head.units, False, cfg.label_smoothing)
    compile_for(plain, cfg, int(train_ds.cardinality().numpy()), one_hot)

    class PlainClock(keras.callbacks.Callback):
        def __init__(self, clock: EpochClock) -> None:
            super().__init__()
            self.clock = clock

        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            self.clock.on_epoch_end(epoch, logs or {})

    def plain_epoch() -> float:
        clock = EpochClock()
        plain.fit(
            train_ds,
            validation_data=val_ds,
            epochs=EPOCHS,
            callbacks=[PlainClock(clock)],
            shuffle=False,  # the tf.data pipeline shuffles, as in train()
            verbose=0,
        )
        return clock.timed_epoch()

    folder = tempfile.mkdtemp(prefix="cnnwb-overhead-")
    store = RunStore(folder)

    def app_epoch() -> tuple[float, float]:
        clock = EpochClock()
        out = run_session(
            spec, dataset=data, cfg=cfg, listener=clock, store=store, label="bench"
        )
        writes = out.result.extra.get("checkpoint_write_seconds", 0.0)
        return clock.timed_epoch(), writes / EPOCHS

    plain_epoch()  # warm-up: tracing, cache fill
    plain_times, app_times, write_times = [], [], []
    for _ in range(repeats):
        plain_times.append(plain_epoch())
        seconds, writes = app_epoch()
        app_times.append(seconds)
        write_times.append(writes)
    p, a = statistics.median(plain_times), statistics.median(app_times)
    images = len(data.splits["train"])
    print(
        f"{images:,} {data.name} training images per epoch (+ validation), batch "
        f"{cfg.batch_size}, {repeats} interleaved repeats"
    )
    print(
        "plain model.fit:                   "
        + " ".join(f"{t:.2f}" for t in plain_times)
        + f" s (median {p:.2f} s)"
    )
    print(
        "run_session, run folder, defaults: "
        + " ".join(f"{t:.2f}" for t in app_times)
        + f" s (median {a:.2f} s)"
    )
    print(
        "checkpoint write per epoch: "
        + " ".join(f"{t * 1000:.0f}" for t in write_times)
        + f" ms (median {statistics.median(write_times) * 1000:.0f} ms)"
    )
    print(f"overhead: {(a / p - 1) * 100:.1f}% (target: at most 3%)")
    shutil.rmtree(folder)


if __name__ == "__main__":
    main()
