"""A few ``shapes`` images as files: a folder for ``--dataset`` instead of ``shapes``.

``--dataset shapes`` draws all 8,000 built-in shapes (about 15 CPU-seconds on
the 2-core test machine) before a command scores or refuses anything; a test
that only needs some images of the six classes gets them here in a moment.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from core.data.shapes import CLASS_NAMES, generate


def shapes_folder(root: Path, count: int = 24) -> Path:
    """``count`` shapes as PNG files in ``root/<class>/``, every class present."""
    images, labels = generate(count)
    for n, (image, label) in enumerate(zip(images, labels, strict=True)):
        folder = root / CLASS_NAMES[label]
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(image).save(folder / f"{n}.png")
    return root
