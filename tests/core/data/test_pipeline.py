"""tf.data pipelines: shapes, dtypes, the Pillow path, and bad files skipped."""

from __future__ import annotations

import numpy as np

from core.data.dataset import Dataset, Split
from core.data.load import open_dataset
from core.data.pipeline import DECODE_FAILED, make_tf_dataset, undecodable
from core.data.spec import DatasetSpec


def collect(ds):
    xs, ys = zip(*[(x.numpy(), y.numpy()) for x, y in ds], strict=True)
    return np.concatenate(xs), np.concatenate(ys)


def open_all(folder):
    """Every image in the training split (no validation or test carved out)."""
    spec = DatasetSpec(
        kind="folder",
        name="m",
        path=str(folder),
        validation_fraction=0.0,
        test_fraction=0.0,
    )
    return open_dataset(spec)


def test_in_memory_split_resized_and_batched():
    data = open_dataset(DatasetSpec(name="shapes", count=60))
    x, y = collect(
        make_tf_dataset(data, "train", (32, 32), 1, batch_size=16, shuffle=True)
    )
    assert x.shape == (48, 32, 32, 1)
    assert x.dtype == np.float32
    assert x.min() >= 0
    assert x.max() <= 255
    assert sorted(y.tolist()) == sorted(data.splits["train"].labels.tolist())


def test_shuffle_is_seeded():
    data = open_dataset(DatasetSpec(name="shapes", count=60))

    def order(seed):
        ds = make_tf_dataset(
            data, "train", (16, 16), 3, batch_size=48, shuffle=True, seed=seed
        )
        return next(iter(ds))[1].numpy().tolist()

    assert order(1) == order(1)
    assert order(1) != order(2)


def class_by_class(n: int) -> Dataset:
    """``n`` 1-pixel images, sorted by label as a folder per class lists them."""
    labels = np.repeat(np.arange(10), n // 10)
    images = labels.astype(np.uint8).reshape(-1, 1, 1, 1)
    names = [str(c) for c in range(10)]
    return Dataset("sorted", names, {"train": Split(labels, images)})


def test_every_batch_mixes_the_classes_of_a_split_stored_class_by_class():
    # CIFAR-10's folders list 5,000 images of one class after another. A shuffle
    # buffer smaller than the split (20,000 of 45,000) fed each stretch of an
    # epoch from a few neighbouring classes, and the last batches, whose
    # statistics BatchNormalization keeps for testing, mostly from the last ones.
    data = class_by_class(40_000)
    ds = make_tf_dataset(data, "train", (1, 1), 1, batch_size=1000, shuffle=True)
    batches = [np.bincount(y.numpy(), minlength=10) for _, y in ds]
    assert len(batches) == 40
    for counts in (batches[0], batches[-1]):
        assert counts.min() >= 50, counts  # about 100 of each class in 1,000


def test_folder_pipeline_skips_bad_files_and_reports_them(messy_folder):
    data = open_all(messy_folder)  # header scan only: the truncated PNG is still listed
    assert len(data.splits["train"]) == 24
    x, y = collect(make_tf_dataset(data, "train", (12, 12), 3, batch_size=5))
    assert x.shape[1:] == (12, 12, 3)
    assert x.shape[0] == 23  # the truncated PNG is dropped, training goes on
    assert np.bincount(y).tolist() == [8, 8, 7]


def test_a_shuffled_folder_pipeline_still_reports_its_bad_file(messy_folder):
    data = open_all(messy_folder)
    ds = make_tf_dataset(data, "train", (12, 12), 3, batch_size=5, shuffle=True)
    x, y = collect(ds)
    assert x.shape[0] == 23
    assert np.bincount(y).tolist() == [8, 8, 7]
    [(bad, reason)] = undecodable(data, "train")
    assert bad.endswith(".png")
    assert reason == DECODE_FAILED
    assert bad not in {p for p, _ in data.report.skipped}  # the caller merges it


def test_pillow_only_files_are_decoded_faithfully(messy_folder):
    data = open_all(messy_folder)
    paths = data.splits["train"].paths
    i = next(k for k, p in enumerate(paths) if p.endswith("cmyk.jpg"))
    single = data.splits["train"].subset(np.array([i]))
    data.splits["test"] = single
    x, _ = collect(make_tf_dataset(data, "test", (16, 16), 3, batch_size=1))
    assert x[0, ..., 0].mean() > 200  # red, as Pillow converts CMYK
    assert x[0, ..., 1].mean() < 50
