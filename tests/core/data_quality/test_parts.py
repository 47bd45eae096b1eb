"""The report's parts on plain arrays: neighbours, the pixel rule, folds, labels."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from core.data_quality.duplicates import find_pairs
from core.data_quality.folds import fold_epochs, stratified_folds
from core.data_quality.labels import rank_labels
from core.data_quality.neighbours import nearest, within
from core.data_quality.pixel_hash import signatures


def test_the_chunked_search_agrees_with_all_pairs():
    v = np.random.default_rng(0).normal(size=(300, 8)).astype(np.float32)
    d = np.linalg.norm(v[:, None] - v[None], axis=-1)
    np.fill_diagonal(d, np.inf)
    idx, dist = nearest(v, 3, chunk=64)
    assert (idx == np.argsort(d, axis=1)[:, :3]).all()
    assert np.allclose(dist, np.sort(d, axis=1)[:, :3], atol=1e-4)
    pairs = within(v, 1.5, chunk=64)
    expected = np.argwhere(np.triu(d <= 1.5, 1))
    assert sorted(map(tuple, pairs.tolist())) == sorted(map(tuple, expected.tolist()))


def _jpeg(image: np.ndarray, quality: int) -> np.ndarray:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, "JPEG", quality=quality)
    return np.asarray(Image.open(buffer))


def test_clean_photos_give_few_pairs_and_their_copies_are_found(shared_datasets):
    folder = shared_datasets / "cifar-10-jpg-small"
    if not folder.is_dir():
        pytest.skip("the shared CIFAR-10 sample is not here")
    files = sorted(folder.rglob("*.jpg"))
    images = np.stack([np.asarray(Image.open(f).convert("RGB")) for f in files])
    hashes, thumbs = signatures(images)
    assert len(find_pairs(hashes, thumbs)) <= 1  # 700 distinct photographs
    resized = Image.fromarray(images[1]).resize((36, 36)).resize((32, 32))
    copies = np.stack([_jpeg(images[0], 50), np.asarray(resized)])
    h, t = signatures(np.concatenate([images, copies]))
    found = {(p.first, p.second) for p in find_pairs(h, t)}
    assert {(0, len(images)), (1, len(images) + 1)} <= found


def test_folds_are_stratified_and_cost_about_the_run():
    labels = np.repeat([0, 1, 2], [40, 40, 20])
    fold = stratified_folds(labels, 4, seed=0)
    for k in range(4):
        assert np.bincount(labels[fold == k], minlength=3).tolist() == [10, 10, 5]
    assert fold_epochs(12, 4) == 4  # 4 models x 3/4 of the data x 4 epochs = 12
    assert fold_epochs(2, 4) == 1


def test_flipped_labels_rank_first():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 300)
    probs = np.eye(3)[y] * 0.7 + 0.1
    given = y.copy()
    given[:15] = (given[:15] + 1) % 3
    ranking = rank_labels(given, probs)
    assert set(ranking.order()[:15].tolist()) == set(range(15))
    assert ranking.flagged[:15].all()
    two = rank_labels(np.array([0, 1, 1, 0]), np.array([[0.1], [0.9], [0.2], [0.8]]))
    assert two.order()[:2].tolist() in ([2, 3], [3, 2])  # one sigmoid column
