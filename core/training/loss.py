"""The loss for a classifier head and the form its labels come in.

One rule for the engine, the session, the test-split evaluation and the
exported Python script, so each compiles what the others do: a single sigmoid
unit learns binary cross-entropy; softmax heads learn sparse categorical
cross-entropy from class indices, or categorical cross-entropy from one-hot
labels: the soft ones MixUp and CutMix make, or hard ones when the labels are
smoothed (Keras 3's sparse loss cannot smooth). Label smoothing is Keras's
own: with smoothing ``s`` and ``k`` classes the target becomes
``1 - s + s/k`` for the true class and ``s/k`` for the others (a sigmoid
unit's 0/1 target: ``s/2`` and ``1 - s/2``). A smoothed loss is described
as Keras serializes a built-in loss, and ``core.recipe.optimizers.make_loss``
builds it, so a saved model loads without custom objects. Pure Python, no
Keras import (the export dialog writes scripts without it).

Example:
    >>> loss_for(1), loss_for(10)
    ('binary_crossentropy', 'sparse_categorical_crossentropy')
    >>> loss_for(10, one_hot=True)
    'categorical_crossentropy'
    >>> loss_for(10, one_hot=True, label_smoothing=0.1)
    {'class_name': 'CategoricalCrossentropy', 'config': {'label_smoothing': 0.1}}
    >>> one_hot_labels(10, mixing=False, label_smoothing=0.1)
    True
"""

from __future__ import annotations

from typing import Any

Loss = str | dict[str, Any]


def one_hot_labels(units: int, mixing: bool, label_smoothing: float) -> bool:
    """Whether the labels reach the loss one-hot rather than as class indices.

    ``mixing``: MixUp/CutMix blend the labels, so they are one-hot already.
    A softmax head smoothing its labels needs them one-hot too; a sigmoid
    unit's 0/1 index smooths as it is.
    """
    return mixing or (units > 1 and label_smoothing > 0)


def loss_for(units: int, one_hot: bool = False, label_smoothing: float = 0.0) -> Loss:
    """The loss of a head of ``units`` outputs (``core.training.compile`` compiles it).

    ``one_hot``: the labels are one-hot (``one_hot_labels``) rather than class
    indices; a one-unit head takes the class-1 column of them either way.
    ``label_smoothing`` > 0 gives Keras's serialized loss with that smoothing.

    Raises:
        ValueError: smoothing a softmax head's class indices (Keras cannot).
    """
    if units == 1:
        name, class_name = "binary_crossentropy", "BinaryCrossentropy"
    elif one_hot:
        name, class_name = "categorical_crossentropy", "CategoricalCrossentropy"
    elif label_smoothing > 0:
        raise ValueError("label smoothing needs one-hot labels for a softmax head")
    else:
        return "sparse_categorical_crossentropy"
    if label_smoothing > 0:
        return {
            "class_name": class_name,
            "config": {"label_smoothing": label_smoothing},
        }
    return name


def loss_source(loss: Loss) -> str:
    """``loss`` as Python source for an exported script (``keras`` imported)."""
    if isinstance(loss, str):
        return repr(loss)
    smoothing = loss["config"]["label_smoothing"]
    return f"keras.losses.{loss['class_name']}(label_smoothing={smoothing!r})"
