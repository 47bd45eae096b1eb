"""The images an export is checked on, and the training sample int8 is calibrated on.

Held out means images the model did not learn from: the test split, else the
validation split. A float format is checked on a seeded sample of at most
``FLOAT_IMAGES`` of them, int8 on the whole split (its accuracy drop is the
figure, and a small sample makes it noisy). Images come as the model gets them
(``Dataset.image``: resized, channels converted, uint8) and are kept as uint8
values, since what a user feeds an exported file is 0-255 pixels; an image
that no longer decodes is skipped.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from core.data.dataset import BadImage, Dataset
from core.errors import WorkbenchError
from core.inference.verification import FLOAT_IMAGES

# Images of the training split the int8 converter measures activation ranges
# on: TensorFlow's guide suggests 100 to 500; more only slows the conversion.
REPRESENTATIVE_IMAGES = 200


class Cancelled(WorkbenchError):
    """The user stopped the export while its images were being read."""


@dataclass(frozen=True)
class HeldOut:
    """Held-out images (N, h, w, c) as float32 0-255 values, their labels, the split."""

    split: str
    images: np.ndarray
    labels: np.ndarray
    class_names: list[str]


def held_out_split(dataset: Dataset) -> str | None:
    """``test`` when it has images, else ``validation``; None when neither has."""
    for split in ("test", "validation"):
        if len(dataset.splits[split]):
            return split
    return None


def held_out_images(
    dataset: Dataset,
    shape: tuple[int, int, int],
    limit: int | None = FLOAT_IMAGES,
    cancel: threading.Event | None = None,
) -> HeldOut | None:
    """``limit`` held-out images (None: all) at ``shape``; None when there are none."""
    split = held_out_split(dataset)
    if split is None:
        return None
    index = _sample(len(dataset.splits[split]), limit)
    images, labels = [], []
    for i, image in _images(dataset, split, index, shape, cancel):
        images.append(image)
        labels.append(int(dataset.splits[split].labels[i]))
    if not images:
        return None
    return HeldOut(
        split,
        np.stack(images).astype(np.float32),
        np.asarray(labels, dtype=np.int64),
        list(dataset.class_names),
    )


def representative_sample(
    dataset: Dataset,
    shape: tuple[int, int, int],
    cancel: threading.Event | None = None,
) -> np.ndarray:
    """A seeded sample of the training split (float32 0-255), for int8 calibration.

    Raises:
        WorkbenchError: the training split has no image that decodes.
    """
    index = _sample(len(dataset.splits["train"]), REPRESENTATIVE_IMAGES)
    images = [image for _, image in _images(dataset, "train", index, shape, cancel)]
    if not images:
        raise WorkbenchError(
            "int8 needs images of the training split to calibrate on, and "
            f"{dataset.name} has none that decode"
        )
    return np.stack(images).astype(np.float32)


def _sample(count: int, limit: int | None) -> np.ndarray:
    if limit is None or count <= limit:
        return np.arange(count)
    return np.sort(np.random.default_rng(0).choice(count, limit, replace=False))


def _images(
    dataset: Dataset,
    split: str,
    index: np.ndarray,
    shape: tuple[int, int, int],
    cancel: threading.Event | None,
) -> Iterator[tuple[int, np.ndarray]]:
    h, w, c = shape
    for i in index.tolist():
        if cancel is not None and cancel.is_set():
            raise Cancelled("the export was stopped")
        try:
            image = dataset.image(split, i, (h, w), c)
        except BadImage:
            continue
        yield i, image.reshape(h, w, c)
