"""Garbage collection only on the GUI thread.

Python's cycle collector runs on whichever thread happens to allocate. If that
is a worker (a folder scan, a thumbnail job) and the garbage holds Qt objects,
their C++ destructors run on the wrong thread and PySide crashes: we saw a
segfault in a scan thread collecting a previous page's pixmaps. So automatic
collection is switched off and a GUI-thread timer collects instead, by
generation, like pyqtgraph's GarbageCollector.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer, Slot


class GuiThreadCollector(QObject):
    """Disables automatic GC and collects from a timer on the GUI thread."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = 1000) -> None:
        super().__init__(parent)
        self.thresholds = gc.get_threshold()
        gc.disable()
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.check)
        self.timer.start(interval_ms)

    @Slot()
    def check(self) -> None:
        counts = gc.get_count()
        for generation in (2, 1, 0):
            if counts[generation] > self.thresholds[generation]:
                gc.collect(generation)
                return
