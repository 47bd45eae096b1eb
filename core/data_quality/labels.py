"""Likely mislabeled images: confident learning (cleanlab) on out-of-sample odds.

``cleanlab.filter.find_label_issues`` flags the images whose given label
disagrees with what the probabilities say, after estimating how often each
class is mistaken for each other (the confident joint: Northcutt et al.,
2021, "Confident Learning"); ``cleanlab.rank.get_label_quality_scores``
scores every image (self-confidence: the probability of its given label),
and the report lists images by that score, lowest first. ``n_jobs=1``: the
report runs beside TensorFlow (and the GUI's threads), and cleanlab's
multiprocessing would fork them.

The probabilities must be out-of-sample (a model that trained on an image
has learnt its label, right or wrong): ``core.data_quality.folds`` makes
them. A sigmoid head's one column becomes two (``as_class_probabilities``).

cleanlab is the optional ``quality`` extra (it brings scikit-learn and
pandas); ``cleanlab_missing`` says why the report cannot run without it.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from core.errors import WorkbenchError
from core.extras import install_command, installed
from core.training.evaluation import as_class_probabilities

INSTALL_COMMAND = install_command("quality")
SCORE_METHOD = "self_confidence"


@dataclass(frozen=True)
class LabelRanking:
    """Per image (in the order given): its score and cleanlab's verdict."""

    scores: np.ndarray  # label quality, 0..1: low is likely mislabeled
    flagged: np.ndarray  # bool: find_label_issues's verdict
    suggested: np.ndarray  # the class the probabilities favour
    confidence: np.ndarray  # the probability of that class

    def order(self) -> np.ndarray:
        """Positions from the likeliest mislabeled on (stable on ties)."""
        return np.argsort(self.scores, kind="stable")


def cleanlab_missing() -> str | None:
    """Why label issues cannot be found here, or None when they can.

    Finds the package without importing it, so a GUI can ask cheaply.
    """
    if installed("cleanlab"):
        return None
    return (
        "the data-quality report needs the cleanlab package, which is not "
        f"installed: install it with {INSTALL_COMMAND}"
    )


def rank_labels(labels: np.ndarray, probabilities: np.ndarray) -> LabelRanking:
    """Score and flag every image's given label from out-of-sample probabilities.

    Raises:
        WorkbenchError: cleanlab is not installed.
    """
    missing = cleanlab_missing()
    if missing:
        raise WorkbenchError(missing)
    from cleanlab.filter import find_label_issues
    from cleanlab.rank import get_label_quality_scores

    y = np.asarray(labels, np.int64)
    p = as_class_probabilities(probabilities)
    p = p / np.clip(p.sum(axis=1, keepdims=True), 1e-12, None)  # float32 rounding
    if len(y) == 0:
        empty = np.zeros(0)
        return LabelRanking(empty, empty.astype(bool), empty.astype(int), empty)
    with warnings.catch_warnings():
        # cleanlab warns when a class has few examples: the report says so itself.
        warnings.simplefilter("ignore")
        flagged = find_label_issues(y, p, n_jobs=1)
        scores = get_label_quality_scores(y, p, method=SCORE_METHOD)
    suggested = p.argmax(axis=1)
    return LabelRanking(
        np.asarray(scores, np.float64),
        np.asarray(flagged, bool),
        suggested,
        p[np.arange(len(y)), suggested],
    )
