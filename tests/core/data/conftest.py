"""Tiny image folders with every kind of file a user's dataset contains."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image


def _pattern(size: int, value: int) -> np.ndarray:
    y, x = np.mgrid[0:size, 0:size]
    return ((x * 7 + y * 3 + value) % 256).astype(np.uint8)


def save(path: Path, image: Image.Image, **kwargs) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, **kwargs)
    return path


@pytest.fixture
def messy_folder(tmp_path) -> Path:
    """Three classes of good images in many formats, plus every kind of bad file."""
    root = tmp_path / "messy"
    for c, name in enumerate(("cat", "dog", "fox")):
        rgb = Image.fromarray(np.dstack([_pattern(16, c * 40 + k) for k in range(3)]))
        save(root / name / "a.png", rgb)
        save(root / name / "b.jpg", rgb, quality=90)
        save(root / name / "c.bmp", rgb)
        save(root / name / "d.webp", rgb)
        save(root / name / "e.tiff", rgb)
        save(root / name / "f.gif", rgb.convert("P"))
    save(root / "cat" / "gray.png", Image.fromarray(_pattern(16, 5)))
    save(
        root / "cat" / "rgba.png", Image.fromarray(np.full((16, 16, 4), 200, np.uint8))
    )
    save(root / "dog" / "cmyk.jpg", Image.new("CMYK", (16, 16), (0, 255, 255, 0)))
    wide16 = (np.linspace(0, 65535, 256).reshape(16, 16)).astype(np.uint16)
    deep = Image.fromarray(wide16)  # mode I;16
    assert deep.mode.startswith("I;16")
    save(root / "dog" / "deep.png", deep)
    rotated = Image.fromarray(np.zeros((8, 16, 3), np.uint8) + 90)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise when shown
    save(root / "fox" / "rotated.jpg", rotated, exif=exif.tobytes())
    # Bad files: reported, never fatal.
    (root / "cat" / "notes.jpg").write_text("this is text, not a JPEG")
    (root / "dog" / "empty.png").write_bytes(b"")
    buf = io.BytesIO()
    Image.fromarray(np.dstack([_pattern(64, k) for k in range(3)])).save(buf, "PNG")
    (root / "fox" / "truncated.png").write_bytes(
        buf.getvalue()[: len(buf.getvalue()) // 2]
    )
    good = io.BytesIO()
    rgb.save(good, "JPEG")
    data = bytearray(good.getvalue())
    data[200:260] = b"\x00" * 60
    (root / "fox" / "corrupt.jpg").write_bytes(bytes(data[:-200]))
    # Ignored entirely: hidden files and files without an image extension.
    (root / "cat" / ".hidden.jpg").write_bytes(b"junk")
    (root / "cat" / "readme.txt").write_text("not an image")
    (root / ".DS_Store").write_bytes(b"junk")
    return root
