"""The dataset split: validation and test carved out of training, class by class.

The app (``core.data.load``) and an exported script carve with these functions,
so the same seed puts the same images in each split in both.
"""

from __future__ import annotations

import numpy as np

from .exclusions import kept

SPLITS = ("train", "validation", "test")


def stratified_split(
    labels: np.ndarray, fractions: tuple[float, ...], seed: int
) -> list[np.ndarray]:
    """Split indices class by class so every part keeps the class proportions.

    Returns ``len(fractions) + 1`` index arrays: one per fraction, then the rest.
    The same labels, fractions and seed always give the same split.

    A class too small for its share to round to one image still gets one in
    each part with a fraction above 0, as long as one is left for the rest:
    otherwise a rare class went untested and the test accuracy said nothing
    about it. Only such parts differ from a plain rounding, so every other
    split (and the fingerprints runs recorded of it) is as it always was.
    """
    rng = np.random.Generator(np.random.PCG64(seed))
    parts: list[list[np.ndarray]] = [[] for _ in range(len(fractions) + 1)]
    for cls in np.unique(labels):
        idx = np.nonzero(labels == cls)[0]
        idx = idx[rng.permutation(idx.size)]
        start = 0
        for k, fraction in enumerate(fractions):
            n = round(idx.size * fraction)
            if n == 0 and fraction > 0 and idx.size - start > 1:
                n = 1
            parts[k].append(idx[start : start + n])
            start += n
        parts[-1].append(idx[start:])
    return [np.sort(np.concatenate(p)) if p else np.array([], int) for p in parts]


def carve(
    labels: np.ndarray, missing: dict[str, float], seed: int
) -> dict[str, np.ndarray]:
    """Indices of training's images for ``train`` and each ``missing`` split.

    ``missing`` maps the splits the data lacks (validation, test: in that
    order) to the share of training each takes.

    Example:
        >>> parts = carve(np.repeat([0, 1], 10), {"validation": 0.2}, seed=0)
        >>> sorted(parts), len(parts["validation"]), len(parts["train"])
        (['train', 'validation'], 4, 16)
    """
    names = [s for s in SPLITS if s in missing]
    *parts, rest = stratified_split(labels, tuple(missing[s] for s in names), seed)
    return {"train": rest, **dict(zip(names, parts, strict=True))}


def carve_splits(
    found: dict[str, tuple[np.ndarray, np.ndarray]],
    fractions: dict[str, float],
    seed: int,
    listed: dict[str, np.ndarray] | None = None,
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """All three splits of ``(x, y)`` arrays: those ``found`` lacks carved out
    of its ``train`` by ``fractions``, as the app carves them.

    ``listed`` holds each found split's labels once an exclusion list is
    applied (``exclusions.listed_labels``): the carve follows the labels as
    given, then the images the list leaves out go and the others take its
    labels, so a list never moves an image to another split.
    """
    x, y = found["train"]
    missing = {s: fractions[s] for s in ("validation", "test") if s not in found}
    parts = carve(y, missing, seed)
    splits = {**found, **{s: (x[index], y[index]) for s, index in parts.items()}}
    if listed is not None:
        after = {**listed, **{s: listed["train"][index] for s, index in parts.items()}}
        for s, labels in after.items():
            keep = kept(labels)
            splits[s] = (splits[s][0][keep], labels[keep])
    return {s: splits[s] for s in SPLITS}


def limited(
    splits: dict[str, tuple[np.ndarray, np.ndarray]], limit: int | None, seed: int
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """At most ``limit`` images of each split, picked at random: a quick check."""
    if limit is None:
        return splits
    rng = np.random.default_rng(seed)
    out = {}
    for split, (x, y) in splits.items():
        keep = np.sort(rng.permutation(len(y))[:limit])
        out[split] = (x[keep], y[keep])
    return out
