"""Test-time augmentation in the app: the recipe's views, refused in the user's words.

Test evaluation (``core.training.session``), ``evaluate``, ``predict``, the
Prediction page and the ``.keras`` export all wrap a model with
:func:`with_tta`, so they average the same views the same way
(``core.recipe.tta``, which exported scripts ship). The wrapper is one Keras
graph, so the app's TTA probabilities and an exported TTA model's are the
same computation.
"""

from __future__ import annotations

from typing import Any

from core.errors import WorkbenchError
from core.recipe.tta import TTA_MODES, VIEWS, tta_model, view_count

__all__ = ["TTA_MODES", "VIEWS", "describe", "view_count", "with_tta"]


def with_tta(
    model: Any,
    mode: str,
    activation: str | None = None,
    input_shape: tuple[int, int, int] | None = None,
) -> Any:
    """``model`` averaged over ``mode``'s views (``model`` itself for ``none``).

    ``activation`` (``"softmax"``/``"sigmoid"``) when the model outputs
    logits: each view's become probabilities before the mean. ``input_shape``
    (height, width, channels) fixes the views' size for a model that takes
    any size (an exported one, which resizes inside).

    Raises:
        WorkbenchError: an unknown mode, or a model the views cannot wrap
            (any input size and no ``input_shape``; images too small to shift).
    """
    if mode not in TTA_MODES:
        raise WorkbenchError(
            f"unknown test-time augmentation {mode!r}: choose {', '.join(TTA_MODES)}"
        )
    try:
        return tta_model(model, mode, activation, input_shape=input_shape)
    except ValueError as exc:
        raise WorkbenchError(str(exc)) from None


def describe(mode: str) -> str:
    """``flip (2 views)``: how a figure or a prediction was made, for people."""
    n = view_count(mode)
    return mode if n == 1 else f"{mode} ({n} views)"
