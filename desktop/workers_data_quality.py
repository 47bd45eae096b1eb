"""The data-quality report's jobs for ``desktop.workers.FunctionWorker``.

``build_job`` is the heavy job (one at a time, with training and the other
TensorFlow jobs): it opens the run's data as recorded, builds and saves the
report (``core.data_quality.build``) and hands back both, the data for the
view's thumbnails. ``open_job`` only opens the data, for a report reopened
from its file. A cancelled job returns None: the report writes nothing, so a
report saved earlier stays as it was.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from core.errors import WorkbenchError
from core.runs import Run

if TYPE_CHECKING:
    from core.data.dataset import Dataset
    from core.data_quality.report import DataQualityReport

HEAVY = "The data-quality report"
Progress = Callable[[float, str], None]


class ProgressListener:
    """``core.data_quality.progress.ReportListener`` re-sent as a worker's progress."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._stage = ""
        self._fraction = 0.0

    def on_stage(self, stage: str) -> None:
        self._stage = stage
        self._progress(self._fraction, stage)

    def on_progress(self, fraction: float) -> None:
        self._fraction = fraction
        self._progress(fraction, self._stage)


def build_job(run: Run, quick: bool, dataset: Dataset | None):
    """The job building ``run``'s report; it returns ``(report, data)`` or None.

    ``dataset`` is the run's own data when the caller holds it open.
    """

    def job(
        progress: Progress, cancel: threading.Event
    ) -> tuple[DataQualityReport, Dataset] | None:
        from core.data_quality.build import build_report
        from core.data_quality.progress import ReportCancelled
        from core.training.resume import open_recorded_dataset

        listener = ProgressListener(progress)
        try:
            data = dataset
            if data is None:
                listener.on_stage(f"opening {run.name}'s data")
                data = open_recorded_dataset(run, cancel=cancel)
            report = build_report(
                run, quick=quick, listener=listener, cancel=cancel, dataset=data
            )
        except ReportCancelled:
            return None
        except WorkbenchError:
            if cancel.is_set():  # stopped while the data opened
                return None
            raise
        return report, data

    return job


def open_job(run: Run):
    """The job opening ``run``'s data as recorded (refused when it changed)."""

    def job(progress: Progress, cancel: threading.Event) -> Dataset | None:
        from core.training.resume import open_recorded_dataset

        try:
            return open_recorded_dataset(run, cancel=cancel)
        except WorkbenchError:
            if cancel.is_set():
                return None
            raise

    return job
