"""The hardest examples of each class and the classes most confused, from probabilities.

Both read the same out-of-sample probabilities as the label issues, so they
describe the images the report checked (the report names which). The
hardest examples of a class are its images with the lowest probability of
their given class; the most confused pairs sum both directions of the
confusion matrix (true class by predicted class), most first.

Example:
    >>> probs = np.array([[0.9, 0.1], [0.4, 0.6], [0.2, 0.8]])
    >>> hardest_per_class(np.array([0, 0, 1]), probs, 1)
    {0: [1], 1: [2]}
    >>> confused_pairs(np.array([0, 0, 1]), probs)
    [(0, 1, 1, 0)]
"""

from __future__ import annotations

import numpy as np

from core.training.evaluation import as_class_probabilities

HARDEST = 8  # per class
CONFUSED = 10  # pairs


def hardest_per_class(
    labels: np.ndarray, probabilities: np.ndarray, per_class: int = HARDEST
) -> dict[int, list[int]]:
    """Per class, the positions of its ``per_class`` least probable images."""
    y = np.asarray(labels, np.int64)
    p = as_class_probabilities(probabilities)
    given = p[np.arange(len(y)), y]
    out = {}
    for c in range(p.shape[1]):
        mine = np.nonzero(y == c)[0]
        out[c] = mine[np.argsort(given[mine], kind="stable")[:per_class]].tolist()
    return out


def confused_pairs(
    labels: np.ndarray, probabilities: np.ndarray, top: int = CONFUSED
) -> list[tuple[int, int, int, int]]:
    """``(a, b, a taken for b, b taken for a)`` for the most confused pairs a < b."""
    y = np.asarray(labels, np.int64)
    p = as_class_probabilities(probabilities)
    classes = p.shape[1]
    confusion = np.zeros((classes, classes), np.int64)
    np.add.at(confusion, (y, p.argmax(axis=1)), 1)
    pairs = [
        (a, b, int(confusion[a, b]), int(confusion[b, a]))
        for a in range(classes)
        for b in range(a + 1, classes)
        if confusion[a, b] + confusion[b, a]
    ]
    pairs.sort(key=lambda t: (-(t[2] + t[3]), t[0], t[1]))
    return pairs[:top]
