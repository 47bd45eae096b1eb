"""ConsoleListener: Keras's bar on a terminal, one plain line per epoch elsewhere."""

from __future__ import annotations

import io
import sys

from core.training.console import ConsoleListener, epoch_line


def feed(listener: ConsoleListener) -> None:
    listener.on_train_begin(2, 3)
    for epoch in range(2):
        for batch in range(3):
            listener.on_batch_end(epoch, batch, {"loss": 1.0 / (batch + 1)})
        listener.on_epoch_end(epoch, {"loss": 0.5, "val_loss": 0.6})


def test_a_log_file_gets_one_line_per_epoch():
    out = io.StringIO()
    feed(ConsoleListener(out))
    lines = out.getvalue().splitlines()
    assert [x.split()[:2] for x in lines] == [["epoch", "1/2"], ["epoch", "2/2"]]
    assert "loss 0.5000  val_loss 0.6000" in lines[0]
    assert "\r" not in out.getvalue()
    assert "\b" not in out.getvalue()


def test_a_terminal_gets_keras_progress_bar_per_epoch(capsys, monkeypatch):
    # Keras's Progbar writes to sys.stdout, the terminal the command runs in.
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    feed(ConsoleListener())
    text = capsys.readouterr().out
    assert "Epoch 1/2" in text
    assert "Epoch 2/2" in text
    assert "3/3" in text  # Keras's Progbar counting batches
    assert "val_loss: 0.6000" in text
    assert "epoch 1/2 " not in text  # no second, plain line


def test_epoch_line_orders_the_usual_figures_first():
    line = epoch_line(0, 5, {"val_accuracy": 0.9, "lr": 0.1, "loss": 0.2}, 3.25)
    assert line == "epoch 1/5  loss 0.2000  val_accuracy 0.9000  lr 0.1000  3.2 s"
