"""Class weights that make each class count as much as the others in the loss."""

from __future__ import annotations


def class_weights(counts: list[int]) -> dict[int, float]:
    """scikit-learn's "balanced" weights: n_samples / (n_classes * count).

    Example:
        >>> class_weights([30, 10])
        {0: 0.6666666666666666, 1: 2.0}
    """
    total, n = sum(counts), len(counts)
    return {i: (total / (n * c) if c else 0.0) for i, c in enumerate(counts)}
