"""core.calibration: the ECE and the temperature fit on made-up numbers (no Keras)."""

from __future__ import annotations

import numpy as np
import pytest

from core.calibration import (
    BINS,
    Calibration,
    Reliability,
    fit_temperature,
    nll,
    probabilities,
    reliability,
)


def test_the_ece_of_a_known_case():
    """Two bins used: 0.9 said on 4 images (3 right), 0.6 on 2 (both right)."""
    probs = np.array([[0.9, 0.1]] * 4 + [[0.4, 0.6]] * 2)
    y = np.array([0, 0, 0, 1, 1, 1])
    r = reliability(y, probs)
    # |0.9 - 0.75| * 4/6 + |0.6 - 1.0| * 2/6
    assert r.ece == pytest.approx(0.15 * 4 / 6 + 0.4 * 2 / 6)
    assert r.bins == BINS == 15
    assert sum(r.count) == 6
    assert r.count[13] == 4  # 0.9 lies in (13/15, 14/15]
    assert r.count[8] == 2  # 0.6 lies in (8/15, 9/15]
    assert r.accuracy[13] == pytest.approx(0.75)
    assert r.confidence[8] == pytest.approx(0.6)
    assert r.confidence[0] is None  # an empty bin has no mean
    assert r.label() == f"ECE (15 bins) {r.ece:.4f}"


def test_a_perfectly_calibrated_model_has_no_error():
    rng = np.random.default_rng(0)
    confidence = rng.choice([0.55, 0.7, 0.95], size=60_000)
    right = rng.random(60_000) < confidence
    y = np.where(right, 0, 1)
    probs = np.stack([confidence, 1 - confidence], axis=1)
    assert reliability(y, probs).ece < 0.01


def test_one_sigmoid_unit_counts_as_two_classes():
    r1 = reliability(np.array([1, 0]), np.array([[0.8], [0.3]]))
    r2 = reliability(np.array([1, 0]), np.array([[0.2, 0.8], [0.7, 0.3]]))
    assert r1 == r2


def test_no_images_is_an_error_of_zero():
    r = reliability(np.array([], dtype=int), np.zeros((0, 3)))
    assert r.ece == 0.0
    assert sum(r.count) == 0


def test_reliability_round_trips_through_json_values():
    r = reliability(np.array([0, 1]), np.array([[0.9, 0.1], [0.2, 0.8]]))
    assert Reliability.from_dict(r.to_dict()) == r
    with pytest.raises(ValueError, match="not reliability"):
        Reliability.from_dict({"bins": 15})


@pytest.mark.parametrize("views", [1, 2])
@pytest.mark.parametrize("planted", [0.5, 2.5])
def test_the_fit_recovers_a_planted_temperature(planted, views):
    """Labels drawn from softmax(z / T): the fit finds T (within sampling error)."""
    rng = np.random.default_rng(1)
    z = rng.normal(0, 3, (views, 20_000, 4))
    truth = probabilities(z, "softmax", planted)
    y = np.array([rng.choice(4, p=p / p.sum()) for p in truth])
    fitted = fit_temperature(y, z, "softmax")
    assert fitted == pytest.approx(planted, rel=0.05)
    assert nll(y, z, "softmax", fitted) <= nll(y, z, "softmax", 1.0)


def test_the_fit_recovers_a_sigmoid_temperature():
    rng = np.random.default_rng(2)
    z = rng.normal(0, 4, (20_000, 1))
    p = probabilities(z, "sigmoid", 3.0)[:, 0]
    y = (rng.random(20_000) < p).astype(int)
    assert fit_temperature(y, z, "sigmoid") == pytest.approx(3.0, rel=0.05)


def test_views_are_averaged_after_the_temperature():
    z = np.array([[[2.0, 0.0]], [[0.0, 2.0]]])  # two views of one image
    p = probabilities(z, "softmax", 2.0)
    one = np.exp(1) / (np.exp(1) + 1)
    assert p == pytest.approx(np.array([[0.5, 0.5]]))
    assert probabilities(z[:1], "softmax", 2.0) == pytest.approx(
        np.array([[one, 1 - one]])
    )


def test_no_images_cannot_be_fitted():
    with pytest.raises(ValueError, match="no images"):
        fit_temperature(np.array([], dtype=int), np.zeros((0, 2)), "softmax")


def test_a_calibration_round_trips():
    r = reliability(np.array([0]), np.array([[0.9, 0.1]]))
    c = Calibration(1.5, "best", "flip", 10, 0.9, 0.7, r, r, 0.5, 0.5)
    assert Calibration.from_dict(c.to_dict()) == c
    assert "temperature 1.500" in c.summary()
    assert "ECE (15 bins)" in c.summary()
    with pytest.raises(ValueError, match="not a calibration"):
        Calibration.from_dict({"temperature": "hot"})
