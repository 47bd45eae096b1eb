"""SweepBridge: a core SweepListener whose calls become Qt signals.

``core.sweeps.search.run_sweep`` calls its listener on the worker thread; the
bridge lives on the GUI thread, so each signal is queued there, where slots
may touch widgets. What crosses is the sweep's own records (plain
dataclasses read from its folder), never a model.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal


class SweepBridge(QObject):
    """Sweep listener calls (worker thread) re-emitted as signals (GUI thread)."""

    began = Signal(object, object)  # SweepFolder, the trials it had already
    trial_began = Signal(object, object)  # TrialRecord, SweepProgress
    trial_ended = Signal(object, object)  # TrialRecord, SweepProgress
    ended = Signal(object)  # SweepOutcome

    def on_sweep_begin(self, folder, done) -> None:
        self.began.emit(folder, list(done))

    def on_trial_begin(self, trial, progress) -> None:
        self.trial_began.emit(trial, progress)

    def on_trial_end(self, trial, progress) -> None:
        self.trial_ended.emit(trial, progress)

    def on_sweep_end(self, outcome) -> None:
        self.ended.emit(outcome)
