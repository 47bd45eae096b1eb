"""Evaluation metrics against values worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from core.training.evaluation import cohen_kappa, metrics_from_probabilities

NAMES = ["cat", "dog", "fox"]


def test_hand_computed_metrics():
    y = np.array([0, 0, 1, 1, 2, 2])
    probs = np.array(
        [
            [0.8, 0.1, 0.1],  # cat -> cat
            [0.3, 0.6, 0.1],  # cat -> dog (second choice cat)
            [0.1, 0.7, 0.2],  # dog -> dog
            [0.1, 0.8, 0.1],  # dog -> dog
            [0.2, 0.1, 0.7],  # fox -> fox
            [0.5, 0.1, 0.4],  # fox -> cat
        ]
    )
    e = metrics_from_probabilities(y, probs, NAMES, top_k=2, loss=0.5)
    assert e.confusion == [[1, 1, 0], [0, 2, 0], [1, 0, 1]]
    assert e.accuracy == pytest.approx(4 / 6)
    assert e.top_k_accuracy == pytest.approx(1.0)
    dog = e.per_class[1]
    assert (dog.precision, dog.recall, dog.support) == (pytest.approx(2 / 3), 1.0, 2)
    assert dog.f1 == pytest.approx(0.8)
    # observed 4/6; expected sum(row*col)/36 = (2*2 + 2*3 + 2*1) / 36 = 1/3
    assert e.kappa == pytest.approx((4 / 6 - 1 / 3) / (1 - 1 / 3))
    assert [m[:3] for m in e.misclassified] == [(1, 0, 1), (5, 2, 0)]
    assert e.loss == 0.5


def test_sigmoid_head_is_handled_like_softmax():
    e = metrics_from_probabilities(
        np.array([0, 1, 1]), np.array([[0.2], [0.9], [0.4]]), ["a", "b"]
    )
    assert e.confusion == [[1, 0], [1, 1]]
    assert e.top_k == 2


def test_kappa_edges():
    assert cohen_kappa(np.eye(3, dtype=int) * 5) == pytest.approx(1.0)
    assert cohen_kappa(np.zeros((2, 2), dtype=int)) == 0.0
