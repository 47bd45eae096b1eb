"""The loss for a head and its label format, as every caller compiles it."""

from __future__ import annotations

import numpy as np
import pytest

from core.training.loss import loss_for, loss_source, one_hot_labels


def test_one_sigmoid_unit_learns_binary_cross_entropy_whatever_the_labels():
    assert loss_for(1) == "binary_crossentropy"
    assert loss_for(1, one_hot=True) == "binary_crossentropy"


def test_softmax_heads_take_class_indices_or_one_hot_labels():
    assert loss_for(2) == "sparse_categorical_crossentropy"
    assert loss_for(10) == "sparse_categorical_crossentropy"
    assert loss_for(10, one_hot=True) == "categorical_crossentropy"


def test_smoothing_makes_softmax_labels_one_hot_and_a_keras_loss_config():
    assert one_hot_labels(10, mixing=False, label_smoothing=0.1)
    assert not one_hot_labels(10, mixing=False, label_smoothing=0.0)
    assert not one_hot_labels(1, mixing=False, label_smoothing=0.1)  # 0/1 smooths
    smoothed = loss_for(10, one_hot=True, label_smoothing=0.1)
    assert smoothed == {
        "class_name": "CategoricalCrossentropy",
        "config": {"label_smoothing": 0.1},
    }
    assert loss_for(1, label_smoothing=0.2)["class_name"] == "BinaryCrossentropy"
    with pytest.raises(ValueError, match="one-hot"):
        loss_for(10, label_smoothing=0.1)


def test_the_smoothed_loss_is_keras_own_and_written_as_source():
    import keras

    loss = keras.losses.get(loss_for(10, one_hot=True, label_smoothing=0.1))
    assert isinstance(loss, keras.losses.CategoricalCrossentropy)
    # Keras's definition: 1 - s + s/k for the true class, s/k for the others.
    y_true = np.array([[0.0, 1.0]])
    y_pred = np.array([[0.05, 0.95]])
    expected = -(0.05 * np.log(0.05) + 0.95 * np.log(0.95))
    two = keras.losses.CategoricalCrossentropy(label_smoothing=0.1)
    assert float(two(y_true, y_pred)) == pytest.approx(expected, rel=1e-4)
    assert loss_source(loss_for(10, True, 0.1)) == (
        "keras.losses.CategoricalCrossentropy(label_smoothing=0.1)"
    )
    assert loss_source(loss_for(10)) == "'sparse_categorical_crossentropy'"
