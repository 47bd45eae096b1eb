"""A command's images: the project's dataset opened as this machine finds it.

``train``, ``lr-find`` and ``sweep`` load the same way and say the same
things on stderr: a line before the load (it can take minutes), then the
data's warnings, so a console user sees the same words whichever command
trained.
"""

from __future__ import annotations

import sys
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.data.dataset import Dataset
    from core.project import Project


def open_project_data(
    project: Project, cancel: threading.Event, fraction: float | None = None
) -> Dataset:
    """``project``'s dataset (cut to ``fraction`` if given), its warnings said.

    ``project`` has been through ``for_this_machine`` (which refuses a
    project without a dataset). The warnings are the images trained on: the
    cut's, when there is one.
    """
    from core.data.checks import dataset_warnings
    from core.data.load import open_dataset
    from core.training.job import fraction_of

    spec = project.dataset
    assert spec is not None  # for_this_machine refuses none
    print(f"loading {spec.title}…", file=sys.stderr, flush=True)
    dataset = open_dataset(spec, cancel=cancel)
    if fraction is not None:
        dataset = fraction_of(dataset, fraction, spec.seed)
    for warning in dataset_warnings(dataset):
        print(f"warning: {warning}", file=sys.stderr)
    return dataset
