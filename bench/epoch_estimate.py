"""How close the pre-training time-per-epoch estimate comes to the real epochs.

Run on purpose: ``python bench/epoch_estimate.py [--preset P] [--dataset D]``.
It trains through ``core.training.session.run_session`` (the path the app's
Start button takes), records the estimate the listener receives before epoch 1,
then the wall time of each epoch, and prints ``estimate error: N%`` against the
median of the epochs after the first (the first also fills the image cache).
``--tiny`` only checks that the script works (``bench/_tiny.py``): two epochs
of 100 shapes images.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from _tiny import add_tiny_flag

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


class EpochClock:
    """Keeps the estimate and the wall time between epoch ends."""

    def __init__(self) -> None:
        self.estimate = 0.0
        self.epochs: list[float] = []
        self._last = 0.0

    def on_estimate(self, seconds_per_epoch: float, device: str) -> None:
        self.estimate = seconds_per_epoch

    def on_train_begin(self, total_epochs: int, steps_per_epoch: int) -> None:
        self._last = time.perf_counter()

    def on_batch_end(self, epoch: int, batch: int, logs: dict[str, float]) -> None:
        return None

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        now = time.perf_counter()
        self.epochs.append(now - self._last)
        self._last = now


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="shapes-starter")
    parser.add_argument("--dataset", default="shapes")
    parser.add_argument("--epochs", type=int, default=4)
    add_tiny_flag(parser)
    args = parser.parse_args()

    from core.data.load import open_dataset
    from core.data.spec import DatasetSpec
    from core.presets import preset
    from core.training.config import TrainingConfig
    from core.training.session import run_session

    clock = EpochClock()
    data = DatasetSpec(name=args.dataset)
    if args.tiny:
        data = DatasetSpec(name="shapes", count=100)
    run_session(
        preset(args.preset),
        dataset=open_dataset(data),
        cfg=TrainingConfig(epochs=2 if args.tiny else args.epochs),
        listener=clock,
    )
    steady = statistics.median(clock.epochs[1:] or clock.epochs)
    print(f"estimate: {clock.estimate:.2f} s per epoch")
    print("epochs: " + ", ".join(f"{s:.2f} s" for s in clock.epochs))
    print(f"estimate error: {100 * (clock.estimate - steady) / steady:+.1f}%")


if __name__ == "__main__":
    main()
