"""The procedural shapes dataset: deterministic, balanced, visible, light."""

from __future__ import annotations

import hashlib
import subprocess
import sys

import numpy as np
import pytest

from core.data.shapes import CLASS_NAMES, generate


def test_shape_dtype_and_balance():
    images, labels = generate(60, seed=0)
    assert images.shape == (60, 64, 64, 3)
    assert images.dtype == np.uint8
    assert labels.dtype == np.int64
    assert np.bincount(labels).tolist() == [10] * len(CLASS_NAMES)


def test_deterministic_for_a_seed_and_different_across_seeds():
    a, la = generate(24, seed=7, size=32)
    b, lb = generate(24, seed=7, size=32)
    c, _ = generate(24, seed=8, size=32)
    assert np.array_equal(a, b)
    assert np.array_equal(la, lb)
    assert not np.array_equal(a, c)


def test_every_image_shows_a_shape_distinct_from_its_background():
    images, _ = generate(36, seed=3)
    # The shape's colour differs from the background by design: the image's
    # pixel spread is far above what noise alone gives.
    spread = images.reshape(36, -1, 3).astype(float).std(axis=1).max(axis=1)
    assert (spread > 20).all()


def test_classes_differ_in_geometry_not_colour():
    images, labels = generate(600, seed=1)
    mean_colour = images.reshape(600, -1, 3).mean(axis=1)
    per_class = np.stack([mean_colour[labels == k].mean(axis=0) for k in range(6)])
    assert np.ptp(per_class, axis=0).max() < 25


@pytest.mark.parametrize(("count", "size"), [(0, 64), (5, 8)])
def test_bad_arguments(count, size):
    with pytest.raises(ValueError, match="must be at least"):
        generate(count, size=size)


def test_import_is_light():
    code = (
        "import core.data.shapes, sys; "
        "print(sorted(m for m in ('tensorflow', 'PySide6', 'PIL') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "[]"


def test_the_images_are_the_bytes_they_were_before_the_work_went_in_pieces():
    # Recorded from the whole-array code before it: 1,600 images are several
    # pieces in all, and 267 of each class are two pieces in the renderer.
    images, _ = generate(1600, seed=5, size=20)
    digest = hashlib.sha256(images.tobytes()).hexdigest()
    assert digest == "fbc9f35adb3f2d3d7f351cb34f1c9846cefc98950ca8e7003b60835d16471537"
