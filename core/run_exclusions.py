"""A run's figures against the loaded data, under the run's own exclusion list.

A run records the exclusion list it trained and tested with (in its
``config.json`` spec). The project's list may change after: its test indices
(the misclassified images, a confusion cell's images) then name other images
in the project's loaded data. ``under_run_list`` gives the loaded data as the
run saw it, without loading it again.
"""

from __future__ import annotations

from core.data.dataset import Dataset
from core.data.load import relisted
from core.data.spec import DatasetSpec
from core.errors import WorkbenchError
from core.runs import Run


def under_run_list(dataset: Dataset, run: Run) -> Dataset:
    """``dataset`` (the project's data, loaded) under the list ``run`` recorded.

    As it is when the lists agree, or when the run's spec cannot be read
    (a run recorded before specs were).
    """
    raw = (run.config().get("dataset") or {}).get("spec")
    try:
        recorded = DatasetSpec.from_dict(raw).exclusions
    except (WorkbenchError, TypeError, ValueError):
        return dataset
    if recorded == dataset.exclusions:
        return dataset
    return relisted(dataset, recorded)
