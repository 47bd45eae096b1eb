"""The loss for a head and its label format, as every caller compiles it."""

from __future__ import annotations

from core.training.loss import loss_for


def test_one_sigmoid_unit_learns_binary_cross_entropy_whatever_the_labels():
    assert loss_for(1) == "binary_crossentropy"
    assert loss_for(1, one_hot=True) == "binary_crossentropy"


def test_softmax_heads_take_class_indices_or_one_hot_labels():
    assert loss_for(2) == "sparse_categorical_crossentropy"
    assert loss_for(10) == "sparse_categorical_crossentropy"
    assert loss_for(10, one_hot=True) == "categorical_crossentropy"
