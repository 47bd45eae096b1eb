"""Event-loop stalls while training: does the GUI stay responsive?

Run on purpose: ``python bench/gui_latency.py [--epochs N]`` (offscreen by
default); ``--tiny`` only checks that the script works (``bench/_tiny.py``: one
epoch of 200 images). It shows the Training page, trains the
``shapes-starter`` preset on the built-in shapes dataset with the default
callbacks (best checkpoint, BackupAndRestore, CSV log) in a run folder, as
Start does, and a 5 ms QTimer timestamps every turn of the GUI event loop from
the first batch to the end of the run (TensorFlow is already loaded, as the
issue specifies). A stall is the time between two turns beyond the timer
interval; the largest one is printed as ``max stall: N ms``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

from _tiny import add_tiny_flag

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

INTERVAL_S = 0.005


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    add_tiny_flag(parser)
    args = parser.parse_args()
    epochs = 1 if args.tiny else args.epochs

    import tensorflow  # noqa: F401  (loaded up front: its import pause is excluded)
    from PySide6.QtCore import QTimer
    from PySide6.QtGui import QUndoStack
    from PySide6.QtWidgets import QApplication

    from core.data.load import open_dataset
    from core.data.spec import DatasetSpec
    from core.document import ProjectDocument
    from core.presets import preset
    from core.project import Project
    from core.runs import RunStore
    from core.training.config import TrainingConfig
    from desktop.gc_guard import GuiThreadCollector
    from desktop.pages.training_page import TrainingPage

    app = QApplication([])
    GuiThreadCollector(app)
    data = open_dataset(DatasetSpec(name="shapes", count=200 if args.tiny else 8000))
    runs = tempfile.TemporaryDirectory(prefix="cnnwb-latency-runs-")
    store = RunStore(runs.name)
    cfg = TrainingConfig(epochs=epochs)  # the defaults: checkpoint, backup, CSV
    document = ProjectDocument(Project(model=preset("shapes-starter"), training=cfg))
    page = TrainingPage(
        document, QUndoStack(), dataset=lambda: data, store=lambda: store
    )
    page.resize(1280, 800)
    page.show()

    gaps: list[float] = []
    state = {"measuring": False, "last": time.perf_counter(), "batches": 0}

    def tick() -> None:
        now = time.perf_counter()
        if state["measuring"]:
            gaps.append(now - state["last"])
        state["last"] = now

    def first_batch(*_args: object) -> None:
        state["batches"] += 1
        if not state["measuring"]:
            state["measuring"], state["last"] = True, time.perf_counter()

    def done(session: object) -> None:
        state["measuring"] = False
        app.quit()

    timer = QTimer()
    timer.setInterval(int(INTERVAL_S * 1000))
    timer.timeout.connect(tick)
    timer.start()
    page.bridge.batch_ended.connect(first_batch)
    page.finished.connect(done)
    page.failed.connect(lambda message: (print("failed:", message), app.quit()))
    start = time.perf_counter()
    QTimer.singleShot(0, page.start)
    app.exec()
    page.shutdown()
    runs.cleanup()
    stalls = [max(0.0, g - INTERVAL_S) * 1000 for g in gaps]
    print(
        f"trained {epochs} epochs in {time.perf_counter() - start:.1f} s; "
        f"{state['batches']} batch updates reached the GUI; {len(gaps)} loop turns"
    )
    print(
        f"median stall: {statistics.median(stalls):.1f} ms; "
        f"99th percentile: {sorted(stalls)[int(len(stalls) * 0.99)]:.1f} ms"
    )
    print(f"max stall: {max(stalls):.0f} ms")


if __name__ == "__main__":
    main()
