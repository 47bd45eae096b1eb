"""A loaded dataset: class names and train/validation/test splits.

A split holds either decoded images in memory (built-ins: small arrays) or file
paths (folders: decoded on demand), behind one interface, so the browser, the
statistics and the tf.data pipeline never care which.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from core.data.exclusions import Exclusions
from core.data.images import GRAY_MODES, BadImage, load_image
from core.data.scan import ScanReport
from core.recipe.class_weights import class_weights
from core.recipe.exclusions import content_digest, file_digest, relative_key
from core.recipe.split import SPLITS, stratified_split


@dataclass
class Split:
    """One split: labels plus either ``images`` (uint8 NHWC) or ``paths``.

    ``keys`` name images held in memory by their place in the array they were
    read from (``"train/17"``), which carving a split does not move: how the
    exclusion list names them (``core.data.exclusions``).
    """

    labels: np.ndarray
    images: np.ndarray | None = None
    paths: list[str] | None = None
    keys: list[str] | None = None

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def subset(self, index: np.ndarray) -> Split:
        return Split(
            self.labels[index],
            None if self.images is None else self.images[index],
            None if self.paths is None else [self.paths[i] for i in index],
            None if self.keys is None else [self.keys[i] for i in index],
        )

    def class_counts(self, num_classes: int) -> list[int]:
        return np.bincount(self.labels, minlength=num_classes).tolist()


@dataclass
class Dataset:
    """Everything the app knows about a dataset once it is loaded."""

    name: str
    class_names: list[str]
    splits: dict[str, Split]
    report: ScanReport = field(default_factory=ScanReport)
    # Warnings found while loading (files that are not the official ones),
    # shown with the split's own (core.data.checks.dataset_warnings).
    notes: list[str] = field(default_factory=list)
    # split -> (tf.Variable of bools, paths): which files the tf.data decode let
    # through; see core.data.pipeline.undecodable
    decode_checks: dict[str, Any] = field(
        default_factory=dict, repr=False, compare=False
    )
    # The folder the files' paths are below (None: images held in memory).
    root: str | None = None
    # The project's exclusion list this data was opened with, and the splits
    # as given when it changed any (None: the splits are as given).
    exclusions: Exclusions = field(default_factory=Exclusions)
    given: dict[str, Split] | None = field(default=None, repr=False)

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def in_memory(self) -> bool:
        return all(s.images is not None for s in self.splits.values())

    def native_shape(self) -> tuple[int, int, int] | None:
        """The images' own (h, w, c) when they all share one; else None."""
        split = self.splits["train"]
        if split.images is not None:
            h, w, c = split.images.shape[1:]
            return int(h), int(w), int(c)
        if len(self.report.sizes) == 1:
            ((h, w),) = self.report.sizes
            gray = set(self.report.modes) <= GRAY_MODES
            return h, w, 1 if gray else 3
        return None

    def image(
        self,
        split: str,
        index: int,
        size: tuple[int, int] | None = None,
        channels: int = 3,
    ) -> np.ndarray:
        """One image as the model gets it: resized, channels converted, uint8.

        Raises:
            BadImage: a file that no longer decodes (the caller reports it).
        """
        s = self.splits[split]
        if s.images is not None:
            return convert_image(s.images[index], size, channels)
        assert s.paths is not None
        return load_image(s.paths[index], size, channels)

    def as_given(self, split: str) -> Split:
        """``split`` before the exclusion list: what an "as given" figure uses."""
        return (self.given or self.splits)[split]

    def cleaned(self, split: str) -> bool:
        """True when the exclusion list changed ``split`` (left out or relabelled)."""
        if self.given is None:
            return False
        before, after = self.given[split], self.splits[split]
        return len(before) != len(after) or not np.array_equal(
            before.labels, after.labels
        )

    def identity(self, split: str, index: int) -> tuple[str, str]:
        """``(path, digest)`` naming image ``index`` of ``split`` on the list.

        The path is relative to the dataset's folder; an image held in an
        array is named by its place in the array it was read from, which the
        split's carving does not move (``core.data.exclusions``).

        Raises:
            OSError: the file cannot be read (it cannot be listed then).
        """
        part = self.splits[split]
        if part.paths is not None:
            path = part.paths[index]
            digest = file_digest(path)
            if digest is None:
                raise OSError(f"{path} cannot be read")
            assert self.root is not None, "a dataset of files knows its folder"
            return relative_key(path, self.root), digest
        assert part.images is not None
        assert part.keys is not None
        image = np.ascontiguousarray(part.images[index])
        return part.keys[index], content_digest(image.tobytes())

    def counts(self) -> dict[str, list[int]]:
        return {
            name: s.class_counts(self.num_classes) for name, s in self.splits.items()
        }

    def describe_path(self, split: str, index: int) -> str:
        s = self.splits[split]
        return (
            s.paths[index] if s.paths is not None else f"{self.name}:{split}[{index}]"
        )


def imbalance_ratio(counts: list[int]) -> float:
    """Largest class over smallest: 1.0 is balanced."""
    nonzero = [c for c in counts if c]
    return max(nonzero) / min(nonzero) if nonzero else 1.0


def convert_image(
    image: np.ndarray, size: tuple[int, int] | None, channels: int
) -> np.ndarray:
    from PIL import Image

    from core.data.images import to_uint8_rgb_or_gray

    if size is None and image.shape[-1] == channels:
        return image
    im = Image.fromarray(image[..., 0] if image.shape[-1] == 1 else image)
    im = to_uint8_rgb_or_gray(im, channels)
    if size is not None and (im.height, im.width) != tuple(size):
        im = im.resize((size[1], size[0]), Image.Resampling.BILINEAR)
    out = np.asarray(im, dtype=np.uint8)
    return out[..., None] if out.ndim == 2 else out


__all__ = [
    "SPLITS",
    "BadImage",
    "Dataset",
    "Split",
    "class_weights",
    "imbalance_ratio",
    "stratified_split",
]
