"""Test-set evaluation: the numbers the tutorials print, and the ones they skip.

Metrics are computed in numpy from the predicted probabilities, so they are
exact, testable without TensorFlow, and identical for a sigmoid head (one unit)
and a softmax head.

Example:
    >>> import numpy as np
    >>> probs = np.array([[0.9, 0.1], [0.2, 0.8]])
    >>> e = metrics_from_probabilities(np.array([0, 1]), probs, ["a", "b"])
    >>> e.accuracy, e.confusion
    (1.0, [[1, 0], [0, 1]])
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np

from core.calibration import as_class_probabilities, reliability
from core.top_k import TOP_K, ranked, ranked_count
from core.training.keras_warnings import no_false_end_of_data_warning


@dataclass(frozen=True)
class ClassMetrics:
    name: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class Evaluation:
    """Everything shown after training; ``confusion[true][predicted]`` counts."""

    accuracy: float
    top_k: int
    top_k_accuracy: float
    kappa: float
    per_class: list[ClassMetrics]
    confusion: list[list[int]]
    # (index, true, predicted, confidence), the most confident mistakes first
    misclassified: list[tuple[int, int, int, float]]
    predicted: list[int]  # per test image, so any confusion cell can list its images
    loss: float | None = None
    # The test-time augmentation the probabilities were averaged over
    # (core.recipe.tta); a figure recorded before TTA existed used none.
    tta: str = "none"
    # The ECE and reliability bins (core.calibration.Reliability.to_dict) of
    # these probabilities; None in a figure recorded before they existed.
    calibration: dict[str, Any] | None = None
    # The calibration temperature the probabilities were made at (None: 1).
    temperature: float | None = None
    # When the project's exclusion list left out or relabelled test images,
    # these figures are of the cleaned test split and this holds the split as
    # given (``as_given_figures``): excluding hard images inflates a figure,
    # so both are reported. None: the list did not touch the test split.
    as_given: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        if out["as_given"] is None:  # figures of untouched data read as before
            del out["as_given"]
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Evaluation:
        """Back from ``to_dict`` (a run's ``evaluation.json``); other keys ignored.

        Raises:
            ValueError: not the figures ``to_dict`` writes.
        """
        try:
            loss, temperature = data.get("loss"), data.get("temperature")
            return cls(
                accuracy=float(data["accuracy"]),
                top_k=int(data["top_k"]),
                top_k_accuracy=float(data["top_k_accuracy"]),
                kappa=float(data["kappa"]),
                per_class=[ClassMetrics(**m) for m in data["per_class"]],
                confusion=[[int(v) for v in row] for row in data["confusion"]],
                misclassified=[
                    (int(i), int(t), int(p), float(c))
                    for i, t, p, c in data["misclassified"]
                ],
                predicted=[int(v) for v in data["predicted"]],
                loss=None if loss is None else float(loss),
                tta=str(data.get("tta", "none")),
                calibration=data.get("calibration"),
                temperature=None if temperature is None else float(temperature),
                as_given=data.get("as_given"),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ValueError(f"not a test evaluation ({exc})") from None

    def for_split(self, order: list[int], size: int) -> Evaluation:
        """Indices of a split of ``size`` images, of which ``order`` were evaluated.

        When files were skipped the evaluated images are a subsequence of the
        split; ``predicted`` becomes one entry per split image (-1: skipped).
        """
        predicted = [-1] * size
        for position, index in enumerate(order):
            predicted[index] = self.predicted[position]
        misclassified = [(order[i], t, p, c) for i, t, p, c in self.misclassified]
        return replace(self, predicted=predicted, misclassified=misclassified)


def metrics_from_probabilities(
    y_true: np.ndarray,
    probs: np.ndarray,
    class_names: list[str],
    top_k: int = TOP_K,
    loss: float | None = None,
) -> Evaluation:
    """Accuracy, top-k, per-class precision/recall/F1, Cohen's kappa, confusion."""
    y = np.asarray(y_true, dtype=np.int64)
    p = as_class_probabilities(probs)
    n_classes = len(class_names)
    predicted = p.argmax(axis=1)
    k = ranked_count(n_classes, top_k)
    top = ranked(p, k)
    confusion = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(confusion, (y, predicted), 1)
    per_class = []
    for c, name in enumerate(class_names):
        tp = confusion[c, c]
        precision = tp / confusion[:, c].sum() if confusion[:, c].sum() else 0.0
        recall = tp / confusion[c].sum() if confusion[c].sum() else 0.0
        f1 = (
            2 * precision * recall / (precision + recall) if precision + recall else 0.0
        )
        per_class.append(
            ClassMetrics(
                name,
                float(precision),
                float(recall),
                float(f1),
                int(confusion[c].sum()),
            )
        )
    wrong = np.nonzero(predicted != y)[0]
    misclassified = [
        (int(i), int(y[i]), int(predicted[i]), float(p[i, predicted[i]])) for i in wrong
    ]
    misclassified.sort(key=lambda m: -m[3])  # most confident mistakes first
    return Evaluation(
        accuracy=float((predicted == y).mean()) if y.size else 0.0,
        top_k=k,
        top_k_accuracy=float((top == y[:, None]).any(axis=1).mean()) if y.size else 0.0,
        kappa=cohen_kappa(confusion),
        per_class=per_class,
        confusion=confusion.tolist(),
        misclassified=misclassified,
        predicted=predicted.tolist(),
        loss=loss,
        calibration=reliability(y, p).to_dict(),
    )


def as_given_figures(evaluation: Evaluation) -> dict[str, Any]:
    """The headline figures of ``evaluation``, kept beside a cleaned split's."""
    return {
        "accuracy": evaluation.accuracy,
        "top_k_accuracy": evaluation.top_k_accuracy,
        "kappa": evaluation.kappa,
        "loss": evaluation.loss,
        "images": len(evaluation.predicted),
    }


def as_given_words(evaluation: Evaluation, digits: int = 4) -> str:
    """What follows a test accuracy when the exclusion list changed the test
    split: the cleaned figure alone flatters (leaving hard images out), so the
    split's figure as given goes beside it; "" for an untouched split.

    Example: `` (cleaned: 5 images, after the exclusion list; as given 0.8333
    on 6 images)``.
    """
    given = evaluation.as_given
    if given is None:
        return ""
    return (
        f" (cleaned: {len(evaluation.predicted):,} images, after the exclusion "
        f"list; as given {given['accuracy']:.{digits}f} on {given['images']:,} images)"
    )


def cohen_kappa(confusion: np.ndarray) -> float:
    """Agreement beyond chance: 1 perfect, 0 no better than guessing by frequency."""
    total = confusion.sum()
    if not total:
        return 0.0
    observed = np.trace(confusion) / total
    expected = (confusion.sum(axis=0) * confusion.sum(axis=1)).sum() / total**2
    return float((observed - expected) / (1 - expected)) if expected < 1 else 1.0


def evaluate(
    model: Any,
    dataset: Any,
    class_names: list[str],
    top_k: int = TOP_K,
    loss: str | None = None,
) -> Evaluation:
    """Predict the whole ``(images, labels)`` tf.data set and compute the metrics.

    ``loss`` names the Keras loss to report, computed from the predictions,
    so the model is never compiled here (a compile would leave an optimizer
    in it that it never trained with); without it a compiled model's own
    loss is reported.
    """
    y_true = np.concatenate([np.asarray(y) for _, y in dataset])
    # predict(), not predict_on_batch(): under MirroredStrategy the latter
    # returns a batch that does not split evenly once per replica (measured,
    # Keras 3.15: 6 images in, 12 rows out).
    with no_false_end_of_data_warning():
        p = model.predict(dataset.map(lambda x, y: x), verbose=0)
        if loss is not None:
            value: float | None = _mean_loss(loss, y_true, p)
        elif model.compiled:
            value = float(model.evaluate(dataset, verbose=0)[0])
        else:
            value = None
    return metrics_from_probabilities(y_true, p, class_names, top_k, value)


def _mean_loss(name: str, y_true: np.ndarray, probs: np.ndarray) -> float:
    """Keras's ``name`` loss averaged over every image, as ``evaluate`` reports it."""
    import keras

    y = np.asarray(y_true)
    if probs.ndim == 2 and probs.shape[1] == 1:  # one sigmoid unit: y as a column
        y = y.reshape(-1, 1).astype(np.float32)
    losses = keras.losses.get(name)(y, probs)
    return float(np.mean(keras.ops.convert_to_numpy(losses)))
