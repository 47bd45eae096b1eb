"""Fitting a model's input and head to a dataset: one rule for the app and scripts."""

from __future__ import annotations

import numpy as np
from PIL import Image

from core.data.load import open_dataset
from core.data.model_fit import fit_model_to_data
from core.data.spec import DatasetSpec
from core.spec import HeadSpec, InputSpec


def folder(root, sizes):
    for c, name in enumerate(("cat", "dog", "fox")):
        for k, (h, w) in enumerate(sizes):
            (root / name).mkdir(parents=True, exist_ok=True)
            pixels = np.full((h, w, 3), c * 60 + k, np.uint8)
            Image.fromarray(pixels).save(root / name / f"{k}.png")
    return root


def test_the_images_own_shape_and_the_class_count():
    data = open_dataset(DatasetSpec(name="shapes", count=30))
    new_input, new_head = fit_model_to_data(
        InputSpec(28, 28, 1), HeadSpec(10, "softmax"), data
    )
    assert new_input == InputSpec(64, 64, 3)
    assert new_head == HeadSpec(6, "softmax")  # the binary choice is kept


def test_the_spec_size_wins_and_mixed_sizes_keep_the_model_input(tmp_path):
    root = folder(tmp_path / "pets", [(20, 24), (30, 18)])
    spec = DatasetSpec(kind="folder", name="pets", path=str(root))
    data = open_dataset(spec)
    assert data.native_shape() is None  # mixed sizes
    kept = fit_model_to_data(InputSpec(40, 40, 3), HeadSpec(2), data, spec)
    assert kept == (InputSpec(40, 40, 3), HeadSpec(3))
    sized = DatasetSpec(
        kind="folder", name="pets", path=str(root), image_size=(50, 60), channels=1
    )
    assert fit_model_to_data(InputSpec(40, 40, 3), HeadSpec(2), data, sized)[0] == (
        InputSpec(50, 60, 1)
    )
