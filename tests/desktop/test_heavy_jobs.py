"""One heavy ML job at a time across the app, seen from a dialog a user clicks."""

from __future__ import annotations

import threading

import keras

from desktop.export_dialog import ExportDialog, ExportSource
from desktop.workers import FunctionWorker


def tiny_model() -> keras.Model:
    inputs = keras.Input((16, 16, 3))
    x = keras.layers.GlobalAveragePooling2D()(inputs)
    return keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(x))


def test_export_is_refused_while_training_runs_and_works_after(qtbot, tmp_path):
    release = threading.Event()
    training = FunctionWorker(lambda progress, cancel: release.wait(10), "Training")
    training.start()  # stands in for a run started on the Training page

    dialog = ExportDialog(ExportSource(tiny_model(), ["a", "b"], "m"), tmp_path)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.failed, timeout=5000) as refused:
        dialog.export_button.click()
    assert refused.args == [
        "Training is running: wait for it to finish or stop it first."
    ]
    assert "Training is running" in dialog.status.text()
    assert dialog.export_button.isEnabled()  # free to try again
    assert not (tmp_path / "m.keras").exists()

    with qtbot.waitSignal(training.finished, timeout=5000):
        release.set()
    with qtbot.waitSignal(dialog.exported, timeout=30_000):
        dialog.export_button.click()
    assert (tmp_path / "m.keras").exists()
