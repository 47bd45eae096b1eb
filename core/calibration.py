"""Calibration: how far a model's confidence is from its accuracy, and one fix.

A model that says "90%" should be right about 90% of the time. The
**expected calibration error** (ECE) measures the gap: the images are put
into ``BINS`` (15) equal-width bins by their top probability, and the gaps
between each bin's mean confidence and its accuracy are averaged, weighted
by the bin's share of the images (Guo et al., 2017, "On Calibration of Modern
Neural Networks"; 15 bins as there). The per-bin figures are the reliability
diagram's bars.

**Temperature scaling** is the fix from the same paper: every logit is
divided by one number T fitted on the validation split (the T that minimises
the negative log-likelihood). T > 1 softens an over-confident model; the
argmax never moves, so accuracy is unchanged (with test-time augmentation
the temperature applies to each view before the views' probabilities are
averaged, as ``core.recipe.tta.average_views`` does, and the averaged argmax
may move slightly).

Pure numpy, no TensorFlow: what is computed here is exact and testable on
made-up numbers.

Example:
    >>> import numpy as np
    >>> probs = np.array([[0.9, 0.1], [0.9, 0.1]])
    >>> round(reliability(np.array([0, 1]), probs).ece, 3)  # 90% said, 50% right
    0.4
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

BINS = 15  # equal-width confidence bins of the ECE, as Guo et al. use
# The temperatures the fit may choose (a bounded 1-D search on log T).
T_RANGE = (0.05, 20.0)
_EPS = 1e-12


@dataclass(frozen=True)
class Calibration:
    """A temperature fitted on the validation split, and what it changed.

    ``model`` is the run's model it was fitted for (``core.run_model``:
    best/final), ``tta`` the views it was fitted over. The test figures are
    None when the run has no test split.
    """

    temperature: float
    model: str | None
    tta: str
    validation_images: int
    nll_before: float
    nll_after: float
    test_before: Reliability | None = None
    test_after: Reliability | None = None
    accuracy_before: float | None = None
    accuracy_after: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Calibration:
        """Back from ``to_dict`` (``run.json``'s ``calibration``).

        Raises:
            ValueError: not what ``to_dict`` writes.
        """
        try:

            def figures(key: str) -> Reliability | None:
                value = data.get(key)
                return None if value is None else Reliability.from_dict(value)

            def number(key: str) -> float | None:
                value = data.get(key)
                return None if value is None else float(value)

            return cls(
                temperature=float(data["temperature"]),
                model=data.get("model"),
                tta=str(data.get("tta", "none")),
                validation_images=int(data["validation_images"]),
                nll_before=float(data["nll_before"]),
                nll_after=float(data["nll_after"]),
                test_before=figures("test_before"),
                test_after=figures("test_after"),
                accuracy_before=number("accuracy_before"),
                accuracy_after=number("accuracy_after"),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ValueError(f"not a calibration ({exc})") from None

    def summary(self) -> str:
        """One line: the temperature and the test ECE before and after."""
        line = (
            f"temperature {self.temperature:.3f} "
            f"(fitted on {self.validation_images} validation images)"
        )
        if self.test_before is not None and self.test_after is not None:
            line += (
                f"; test ECE ({self.test_after.bins} bins) "
                f"{self.test_before.ece:.4f} -> {self.test_after.ece:.4f}"
            )
        return line


@dataclass(frozen=True)
class Reliability:
    """The ECE and the reliability diagram's bins, named with their count.

    ``confidence[i]``/``accuracy[i]`` are bin i's means (None when it holds no
    image), ``count[i]`` its images; bin i covers ``(i/bins, (i+1)/bins]``.
    """

    bins: int
    ece: float
    confidence: list[float | None]
    accuracy: list[float | None]
    count: list[int]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Reliability:
        """Back from ``to_dict``.

        Raises:
            ValueError: not what ``to_dict`` writes.
        """
        try:
            return cls(
                bins=int(data["bins"]),
                ece=float(data["ece"]),
                confidence=[
                    None if v is None else float(v) for v in data["confidence"]
                ],
                accuracy=[None if v is None else float(v) for v in data["accuracy"]],
                count=[int(v) for v in data["count"]],
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"not reliability figures ({exc})") from None

    def label(self) -> str:
        """``ECE (15 bins) 0.0342``: the figure with the bins it was measured in."""
        return f"ECE ({self.bins} bins) {self.ece:.4f}"


def reliability(y_true: np.ndarray, probs: np.ndarray, bins: int = BINS) -> Reliability:
    """The ECE of ``probs`` (one row per image) against the true classes.

    One sigmoid unit (a column) counts as two classes. No image: an ECE of 0.
    """
    y = np.asarray(y_true, dtype=np.int64)
    p = as_class_probabilities(probs)
    if not y.size:
        return Reliability(bins, 0.0, [None] * bins, [None] * bins, [0] * bins)
    confidence = p.max(axis=1)
    correct = (p.argmax(axis=1) == y).astype(np.float64)
    # (lo, hi] bins; a confidence of exactly 0 joins the first
    index = np.clip(np.ceil(confidence * bins).astype(np.int64) - 1, 0, bins - 1)
    count = np.bincount(index, minlength=bins)
    conf_sum = np.bincount(index, weights=confidence, minlength=bins)
    right_sum = np.bincount(index, weights=correct, minlength=bins)
    filled = count > 0
    mean_conf = np.where(filled, conf_sum / np.maximum(count, 1), np.nan)
    mean_right = np.where(filled, right_sum / np.maximum(count, 1), np.nan)
    gaps = np.abs(mean_conf - mean_right)[filled] * count[filled]
    ece = float(gaps.sum() / y.size)
    return Reliability(
        bins,
        ece,
        [float(v) if f else None for v, f in zip(mean_conf, filled, strict=True)],
        [float(v) if f else None for v, f in zip(mean_right, filled, strict=True)],
        count.astype(int).tolist(),
    )


def probabilities(
    logits: np.ndarray, activation: str, temperature: float = 1.0
) -> np.ndarray:
    """Views' logits at ``temperature``, as averaged probabilities.

    ``logits`` is ``(images, units)`` or ``(views, images, units)``: each
    view's logits are divided by the temperature and made probabilities
    (``softmax``, or ``sigmoid`` for one unit), then the views are averaged,
    as the exported Keras graph does (``core.recipe.tta.average_views``).
    """
    x = np.asarray(logits, dtype=np.float64) / temperature
    if x.ndim == 2:
        x = x[None]
    if activation == "sigmoid":
        e = np.exp(-np.abs(x))
        p = np.where(x >= 0, 1 / (1 + e), e / (1 + e))
    elif activation == "softmax":
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        p = e / e.sum(axis=-1, keepdims=True)
    else:
        raise ValueError(f"unknown activation {activation!r}: softmax or sigmoid")
    return p.mean(axis=0)


def nll(
    y_true: np.ndarray, logits: np.ndarray, activation: str, temperature: float = 1.0
) -> float:
    """Mean negative log-likelihood of the true classes at ``temperature``."""
    y = np.asarray(y_true, dtype=np.int64)
    p = as_class_probabilities(probabilities(logits, activation, temperature))
    return float(-np.mean(np.log(np.maximum(p[np.arange(y.size), y], _EPS))))


def fit_temperature(y_true: np.ndarray, logits: np.ndarray, activation: str) -> float:
    """The one temperature that minimises the NLL of ``logits`` (views allowed).

    A bounded golden-section search on log T over ``T_RANGE``, refined to
    about 1e-4 relative: the NLL of temperature scaling is smooth and, for one
    view, convex in 1/T, so one minimum; no optimiser package is needed.

    Raises:
        ValueError: no images to fit on.
    """
    y = np.asarray(y_true, dtype=np.int64)
    if not y.size:
        raise ValueError("no images to fit a temperature on")

    def cost(log_t: float) -> float:
        return nll(y, logits, activation, float(np.exp(log_t)))

    lo, hi = np.log(T_RANGE[0]), np.log(T_RANGE[1])
    ratio = (np.sqrt(5) - 1) / 2
    a, b = lo + (1 - ratio) * (hi - lo), lo + ratio * (hi - lo)
    fa, fb = cost(a), cost(b)
    while hi - lo > 1e-4:
        if fa <= fb:
            hi, b, fb = b, a, fa
            a = lo + (1 - ratio) * (hi - lo)
            fa = cost(a)
        else:
            lo, a, fa = a, b, fb
            b = lo + ratio * (hi - lo)
            fb = cost(b)
    return float(np.exp((lo + hi) / 2))


def as_class_probabilities(probs: np.ndarray) -> np.ndarray:
    """One sigmoid unit becomes two columns, so every head is handled alike."""
    p = np.asarray(probs, dtype=np.float64)
    if p.ndim == 2 and p.shape[1] == 1:
        return np.concatenate([1 - p, p], axis=1)
    return p
