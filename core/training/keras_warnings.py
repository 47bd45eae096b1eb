"""Silence a Keras warning that is false for the app's data.

Keras 3.15.1 (the newest release on 2026-11-29) warns "Your input ran out of
data; interrupting training" whenever a dataset of unknown length ends,
although iterating to the end is how Keras learns an epoch's length when no
``steps_per_epoch`` was given (and the app never gives one). Every folder
dataset has an unknown length (undecodable files are skipped), so the warning
printed on every first epoch and every evaluation of a run, in the console and
the test log, with advice to ``.repeat()`` the data that would break training.
Fixed upstream by keras-team/keras#23360 (merged 2026-07-30, not yet in a
release): remove this module once the minimum Keras includes it.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def no_false_end_of_data_warning() -> Iterator[None]:
    """Around ``fit``, ``evaluate`` and ``predict`` on a whole dataset.

    The filter is process-wide while it lasts (``warnings`` keeps one list),
    which is safe because the app runs one training or evaluation at a time.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="Your input ran out of data", category=UserWarning
        )
        yield
