"""tf.data input pipelines: from a Dataset split to batches of (images, labels).

The common path stays in TensorFlow (parallel ``decode_image``, resize, cache,
shuffle, batch, prefetch). Files TensorFlow would decode differently from Pillow
(TIFF, WebP, CMYK, 16-bit, EXIF-rotated: flagged by the header scan) are
converted once with Pillow into a PNG cache, so they too take the fast path.
A file that fails to decode during training is skipped, never fatal: Pillow
conversions that fail are left out, and TensorFlow decode errors are dropped by
``ignore_errors``; the files that got through are marked in a variable, so
``undecodable`` can name the rest after a complete pass. The pipeline runs on a
training worker: it returns what it skipped and never writes into the dataset's
report, which the thread that owns the dataset merges (``ScanReport.skip``).

Images come out as float32 in 0-255; models start with their own Rescaling, so
exported models take raw pixels.

Example:
    >>> ds = open_dataset(DatasetSpec(name="shapes", count=60))
    >>> batches = make_tf_dataset(ds, "train", (32, 32), 3, batch_size=16)
    >>> [tuple(t.shape) for t in next(iter(batches))]
    [(16, 32, 32, 3), (16,)]
"""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import tensorflow as tf
from PIL import Image

from core.data.dataset import Dataset, Split
from core.data.images import BadImage, load_image
from core.data.memory import fits_in_memory
from core.paths import user_data_dir
from core.recipe.batches import fit_image

AUTOTUNE = tf.data.AUTOTUNE
DECODE_FAILED = "could not be decoded during training"


def make_tf_dataset(
    dataset: Dataset,
    split: str,
    image_size: tuple[int, int],
    channels: int,
    batch_size: int = 32,
    shuffle: bool = False,
    seed: int = 0,
    cache: bool = True,
) -> tf.data.Dataset:
    """Batches of ``(float32 images (B, h, w, channels), int64 labels (B,))``."""
    part = dataset.splits[split]
    h, w = image_size
    # Splits keep the source's order, for a folder per class class after class.
    # The shuffle buffer below holds at most 20,000 images, so it alone fed each
    # stretch of an epoch from a few neighbouring classes (and BatchNormalization's
    # moving statistics from the last ones): one seeded permutation first.
    order = np.random.default_rng(seed).permutation(len(part)) if shuffle else None
    if part.images is not None:
        if order is not None:
            part = part.subset(order)
        ds = tf.data.Dataset.from_tensor_slices((part.images, part.labels))
        if part.images.shape[1:] != (h, w, channels):
            ds = ds.map(
                lambda x, y: (fit_image(x, h, w, channels), y),
                num_parallel_calls=AUTOTUNE,
            )
    else:
        paths, failed = _fast_paths(dataset, part, channels)
        indices = range(len(part)) if order is None else order.tolist()
        keep = [i for i in indices if paths[i] is not None]
        # Bytes, as the file system has them: a name that is not UTF-8 (read
        # by os.walk with surrogate escapes) cannot become a TF string.
        ds = tf.data.Dataset.from_tensor_slices(
            ([os.fsencode(paths[i]) for i in keep], part.labels[keep])
        ).enumerate()
        ds = ds.map(
            lambda i, py: (i, _decode(py[0], h, w, channels), py[1]),
            num_parallel_calls=AUTOTUNE,
        )
        ds = ds.ignore_errors()
        seen = tf.Variable(tf.zeros([len(keep)], tf.bool), trainable=False)
        dataset.decode_checks[split] = (seen, keep, failed)

        def mark(i, x, y):
            with tf.control_dependencies([seen.scatter_nd_update([[i]], [True])]):
                return tf.identity(x), y

        ds = ds.map(mark, num_parallel_calls=AUTOTUNE)
    if cache and fits_in_memory(len(part), h, w, channels):
        ds = ds.cache()
    if shuffle:
        ds = ds.shuffle(
            min(len(part), 20_000), seed=seed, reshuffle_each_iteration=True
        )
    ds = ds.batch(batch_size)
    ds = ds.map(lambda x, y: (tf.cast(x, tf.float32), y), num_parallel_calls=AUTOTUNE)
    return ds.prefetch(AUTOTUNE)


def undecodable(dataset: Dataset, split: str) -> list[tuple[str, str]]:
    """``(path, reason)`` of each file of ``split`` the pipeline had to skip.

    Call only after a complete pass over the split's latest pipeline (an epoch,
    a validation pass, an evaluation): before that, unseen is not undecodable.
    Nothing is written into ``dataset.report``: the caller adds these there on
    the thread that owns the dataset.
    """
    check = dataset.decode_checks.pop(split, None)
    if check is None:
        return []
    paths = dataset.splits[split].paths or []
    bad = [(paths[i], DECODE_FAILED) for i, ok in _decoded(check) if not ok]
    return check[2] + bad


def decoded_indices(dataset: Dataset, split: str) -> list[int] | None:
    """The split index of each image the split's pipeline yielded, in order.

    None for in-memory splits, where the pipeline yields every image. Like
    ``undecodable``, only meaningful after a complete pass.
    """
    check = dataset.decode_checks.get(split)
    if check is None:
        return None
    return [i for i, ok in _decoded(check) if ok]


def _decoded(check: tuple) -> list[tuple[int, bool]]:
    """(split index, decoded?) for each file the split's pipeline read."""
    seen, keep, _ = check
    return list(zip(keep, seen.numpy().tolist(), strict=True))


def _decode(path: tf.Tensor, h: int, w: int, channels: int) -> tf.Tensor:
    raw = tf.io.read_file(path)
    image = tf.io.decode_image(raw, channels=channels, expand_animations=False)
    image.set_shape([None, None, channels])
    resized = tf.image.resize(image, (h, w))
    return tf.cast(tf.clip_by_value(tf.round(resized), 0, 255), tf.uint8)


def _fast_paths(
    dataset: Dataset, part: Split, channels: int
) -> tuple[list[str | None], list[tuple[str, str]]]:
    """The split's paths, with Pillow-only files replaced by cached PNG copies.

    A file Pillow cannot convert becomes None (left out); the second list says
    which and why.
    """
    assert part.paths is not None
    slow = dataset.report.needs_pillow
    todo = [p for p in part.paths if p in slow]
    if not todo:
        return list(part.paths), []
    cache_dir = user_data_dir() / "cache" / "decoded"
    cache_dir.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        converted = dict(
            zip(todo, pool.map(lambda p: _to_png(p, cache_dir), todo), strict=True)
        )
    out: list[str | None] = []
    failed: list[tuple[str, str]] = []
    for p in part.paths:
        if p not in converted:
            out.append(p)
            continue
        result = converted[p]
        if isinstance(result, BadImage):
            failed.append((p, str(result)))
            out.append(None)
        else:
            out.append(result)
    return out, failed


def _to_png(path: str, cache_dir: Path) -> str | BadImage:
    stat = os.stat(path)
    key = hashlib.sha1(f"{path}|{stat.st_mtime_ns}|{stat.st_size}".encode()).hexdigest()
    target = cache_dir / f"{key}.png"
    if not target.exists():
        try:
            array = load_image(path, None, 3)
        except BadImage as exc:
            return exc
        partial = target.with_suffix(".part.png")
        Image.fromarray(array).save(partial)
        os.replace(partial, target)
    return str(target)
