"""ConsoleListener: what ``python -m core train`` shows while a run trains.

On a terminal, Keras's own progress bar per epoch (what a notebook user knows);
anywhere else (a log file, CI, a batch job) one plain line per epoch, since a
bar's carriage returns turn a log into one unreadable line.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

VALIDATION_KEYS = ("val_loss", "val_accuracy")


def epoch_line(epoch: int, total: int, logs: dict[str, float], seconds: float) -> str:
    """``epoch 3/10  loss 0.4123  accuracy 0.8512  val_loss …  12.3 s``."""
    shown = [k for k in ("loss", "accuracy", *VALIDATION_KEYS) if k in logs]
    shown += sorted(k for k in logs if k not in shown)
    figures = "  ".join(f"{k} {logs[k]:.4f}" for k in shown)
    return f"epoch {epoch + 1}/{total}  {figures}  {seconds:.1f} s"


class ConsoleListener:
    """A TrainingListener that writes progress to a text stream (stdout)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout
        self.bar = self.stream.isatty()
        self.total = 0
        self.steps = 0
        self._progbar = None
        self._seen = 0  # batches the bar has shown this epoch
        self._epoch_started = time.monotonic()

    def _print(self, text: str) -> None:
        print(text, file=self.stream, flush=True)

    def on_estimate(self, seconds_per_epoch: float, device: str) -> None:
        self._print(f"training on {device}, about {seconds_per_epoch:.1f} s per epoch")

    def on_train_begin(self, total_epochs: int, steps_per_epoch: int) -> None:
        self.total, self.steps = total_epochs, steps_per_epoch
        self._epoch_started = time.monotonic()

    def on_phase_begin(self, phase: int, epoch: int) -> None:
        what = "fine-tuning the backbone" if phase == 2 else "training the head"
        self._print(f"phase {phase} from epoch {epoch + 1}: {what}")

    def on_download(self, fraction: float, message: str) -> None:
        self._print(message)

    def on_batch_end(self, epoch: int, batch: int, logs: dict[str, float]) -> None:
        if not self.bar:
            return
        if self._progbar is None:
            import keras

            self._print(f"Epoch {epoch + 1}/{self.total}")
            # Keras's logs are already running means: show them as they are.
            shown = [*logs, *VALIDATION_KEYS]
            self._progbar = keras.utils.Progbar(
                self.steps or None, stateful_metrics=shown
            )
        self._seen = batch + 1
        self._progbar.update(self._seen, list(logs.items()))

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        seconds = time.monotonic() - self._epoch_started
        self._epoch_started = time.monotonic()
        if self._progbar is None:
            self._print(epoch_line(epoch, self.total, logs, seconds))
            return
        self._progbar.update(
            self.steps or self._seen, list(logs.items()), finalize=True
        )
        self._progbar = None
