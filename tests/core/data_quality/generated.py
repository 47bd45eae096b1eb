"""Tiny generated image folders with planted wrong labels and planted copies.

Three classes told apart by their dominant colour, each image a smooth random
texture of its own (4x4 noise, enlarged), so distinct images are far apart in
pixels and the tiny model learns the classes in a few epochs. What is planted
is returned, so a test can check the report found it.
"""

from __future__ import annotations

import io
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from core.data.spec import DatasetSpec
from core.runs import RunStore
from core.spec import HeadSpec, InputSpec, LayerSpec, ModelSpec
from core.training.config import TrainingConfig
from core.training.session import run_session

SIDE = 16
CLASSES = ("red", "green", "blue")


@dataclass
class Planted:
    root: Path
    flipped: set[str] = field(default_factory=set)  # relative paths
    copies: set[frozenset[str]] = field(default_factory=set)  # pairs of paths
    leaks: set[frozenset[str]] = field(default_factory=set)


def texture(rng: np.random.Generator, label: int) -> np.ndarray:
    """One image of class ``label``: its colour over a smooth texture of its own."""
    small = rng.integers(0, 110, (4, 4, 3), dtype=np.uint8)
    image = np.asarray(
        Image.fromarray(small).resize((SIDE, SIDE), Image.Resampling.BICUBIC)
    ).astype(np.int32)
    image[..., label] += 140
    return np.clip(image, 0, 255).astype(np.uint8)


def make_folder(
    root: Path,
    per_class: int = 100,
    test_per_class: int = 20,
    flip: float = 0.05,
    copies: bool = True,
    seed: int = 0,
) -> Planted:
    """``root/{train,test}/<class>/N.png``: ``flip`` of train in a wrong class
    folder, and (with ``copies``) an exact copy within train and three copies
    of train images in test: exact, resized and re-encoded as JPEG."""
    rng = np.random.default_rng(seed)
    planted = Planted(root)
    n_train = per_class * len(CLASSES)
    wrong = set(rng.choice(n_train, round(flip * n_train), replace=False).tolist())
    sources: list[tuple[str, np.ndarray, int]] = []
    for split, count in (("train", per_class), ("test", test_per_class)):
        for name in CLASSES:
            (root / split / name).mkdir(parents=True, exist_ok=True)
        for label, name in enumerate(CLASSES):
            for n in range(count):
                image = texture(rng, label)
                number = label * per_class + n
                folder = name
                if split == "train" and number in wrong:
                    folder = CLASSES[(label + 1 + rng.integers(2)) % len(CLASSES)]
                path = f"{split}/{folder}/{n:03d}-{name}.png"
                Image.fromarray(image).save(root / path)
                if split == "train" and number in wrong:
                    planted.flipped.add(path)
                elif split == "train":
                    sources.append((path, image, label))
    if copies:
        _plant_copies(root, planted, sources)
    return planted


def _plant_copies(root: Path, planted: Planted, sources: list) -> None:
    (a, _, _), (b, image_b, lb), (c, image_c, lc), (d, _, _) = sources[5:9]
    copy = str(Path(a).parent / "copy-of-a.png")
    shutil.copyfile(root / a, root / copy)
    planted.copies.add(frozenset((a, copy)))
    exact = f"test/{Path(d).parent.name}/leak-exact.png"
    shutil.copyfile(root / d, root / exact)
    resized = f"test/{CLASSES[lb]}/leak-resized.png"
    Image.fromarray(image_b).resize((SIDE + 3, SIDE + 3)).save(root / resized)
    encoded = f"test/{CLASSES[lc]}/leak-jpeg.jpg"
    buffer = io.BytesIO()
    Image.fromarray(image_c).save(buffer, "JPEG", quality=80)
    (root / encoded).write_bytes(buffer.getvalue())
    for pair in ((d, exact), (b, resized), (c, encoded)):
        planted.copies.add(frozenset(pair))
        planted.leaks.add(frozenset(pair))


def tiny_model() -> ModelSpec:
    return ModelSpec(
        InputSpec(SIDE, SIDE, 3),
        (
            LayerSpec.create("Rescaling", "rescaling_1"),
            LayerSpec.create("Conv2D", "conv2d_1", {"filters": 8, "kernel_size": 3}),
            LayerSpec.create("GlobalAveragePooling2D", "gap_1"),
        ),
        HeadSpec(len(CLASSES)),
        name="tiny",
    )


def train_run(root: Path, runs: Path, epochs: int = 9):
    """A finished run of the tiny model on the folder at ``root``: its folder."""
    from core.data.load import open_dataset

    spec = DatasetSpec(kind="folder", name="planted", path=str(root))
    dataset = open_dataset(spec)
    out = run_session(
        tiny_model(),
        dataset=dataset,
        cfg=TrainingConfig(epochs=epochs, batch_size=32, learning_rate=0.01),
        store=RunStore(runs),
        label="planted",
        data_spec=spec,
    )
    return out.run.path
