"""Top-k: which k are worth showing for a model's number of classes.

At k equal to or above the class count every class is among the k likeliest,
so top-k accuracy is 1.0 by construction (a 2-class model's "top-2 1.000") and
a ranked list of k classes would pad with classes that do not exist. The
Training page, the Prediction page and ``python -m core predict`` all ask here.

Example:
    >>> shown_top_k(10), shown_top_k(2)
    (3, None)
    >>> ranked_count(2), ranked_count(10)
    (2, 3)
    >>> ranked(np.array([0.1, 0.6, 0.3])).tolist()
    [1, 2, 0]
"""

from __future__ import annotations

import numpy as np

TOP_K = 3


def ranked_count(num_classes: int, k: int = TOP_K) -> int:
    """How many classes a ranked list holds: ``k``, at most every class, at least 1."""
    return max(1, min(k, num_classes))


def shown_top_k(num_classes: int, k: int = TOP_K) -> int | None:
    """``k`` when top-k accuracy says more than accuracy, else None (hide it).

    It does only for 1 < k < the number of classes: top-1 is accuracy itself,
    and from k = the class count on it is always 1.0.
    """
    return k if 1 < k < num_classes else None


def ranked(probs: np.ndarray, k: int = TOP_K) -> np.ndarray:
    """The indices of the ``ranked_count`` likeliest classes, likeliest first.

    ``probs`` is one image's probabilities or a batch of them (a row each).
    """
    return np.argsort(-probs, axis=-1)[..., : ranked_count(probs.shape[-1], k)]
