"""The loss for a classifier head and the form its labels come in.

One rule for the engine, the session, the test-split evaluation and the
exported Python script, so each compiles what the others do: a single sigmoid
unit learns binary cross-entropy; softmax heads learn sparse categorical
cross-entropy from class indices, or categorical cross-entropy from the soft
one-hot labels MixUp and CutMix make. Pure Python, no Keras import.

Example:
    >>> loss_for(1), loss_for(10)
    ('binary_crossentropy', 'sparse_categorical_crossentropy')
    >>> loss_for(10, one_hot=True)
    'categorical_crossentropy'
"""

from __future__ import annotations


def loss_for(units: int, one_hot: bool = False) -> str:
    """Keras's loss name for a head of ``units`` outputs.

    ``one_hot``: the labels are one-hot (MixUp/CutMix) rather than class
    indices; a one-unit head takes the class-1 column of them either way.
    """
    if units == 1:
        return "binary_crossentropy"
    return "categorical_crossentropy" if one_hot else "sparse_categorical_crossentropy"
