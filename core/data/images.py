"""Image files as the app meets them: headers read without decoding, file lists.

The decoding itself (Pillow: TIFF, WebP, EXIF orientation, 16-bit, palettes,
alpha composited on white) lives in ``core.recipe.images``, which an exported
script ships too, so the browser's preview, training, prediction and the
script agree on every pixel; it is re-exported here for the app's callers.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

from PIL import Image, UnidentifiedImageError

from core.data.headers import HEAD_BYTES, parse_header
from core.recipe.images import (
    IMAGE_EXTENSIONS,
    BadImage,
    failure_reason,
    has_transparency,
    is_image_name,
    load_image,
    to_uint8_rgb_or_gray,
    unidentified_reason,
)

# Formats tf.io.decode_image reads natively (first GIF frame included); others
# and anything needing EXIF rotation or bit-depth scaling go through Pillow.
TF_DECODABLE = frozenset({"JPEG", "PNG", "BMP", "GIF"})
_ORIENTATION = 0x0112
# Pillow modes with a single (gray) channel, 8-bit or wider.
GRAY_MODES = frozenset({"L", "1", "I;16", "I;16B", "I;16L", "I", "F"})


class Header(NamedTuple):
    """What a file's header says, read without decoding any pixel."""

    width: int
    height: int
    mode: str
    format: str
    rotated: bool
    transparent: bool = False

    @property
    def tf_decodable(self) -> bool:
        """True when tf.io.decode_image gives exactly what Pillow would.

        TensorFlow drops transparency (a transparent pixel becomes its stored
        colour, usually black), so transparent files take the Pillow path.
        """
        return (
            self.format in TF_DECODABLE
            and self.mode in ("L", "RGB", "P", "1")
            and not self.rotated
            and not self.transparent
        )


def read_header(path: str | os.PathLike[str]) -> Header:
    """Size, mode, format and EXIF rotation from the file header only.

    Raises:
        BadImage: empty, not an image, or unreadable; the message says which.
    """
    try:
        with open(path, "rb") as f:
            plain = parse_header(f.read(HEAD_BYTES))
        # Pillow judges the rest, and sizes its decompression-bomb check covers.
        if plain is not None and plain.width * plain.height <= Image.MAX_IMAGE_PIXELS:
            return Header(*plain[:4], rotated=False, transparent=plain.transparent)
        with Image.open(path) as im:
            # EXIF sits in the header of these formats; PNG keeps it in a chunk
            # that may follow the pixels, and reading it would decode them.
            rotated = im.format in ("JPEG", "MPO", "TIFF", "WEBP") and (
                im.getexif().get(_ORIENTATION, 1) not in (0, 1)
            )
            return Header(
                im.width,
                im.height,
                im.mode,
                im.format or "?",
                rotated,
                has_transparency(im),
            )
    except UnidentifiedImageError:
        raise BadImage(unidentified_reason(path)) from None
    except Exception as exc:  # any decoder failure: see failure_reason
        raise BadImage(failure_reason(exc)) from None


def loader_channels(model_channels: int) -> int:
    """The channels to load for a model input: gray stays 1, anything else RGB.

    The loaders make 1- or 3-channel images; a 4-channel (RGBA) model input is
    given RGB (see the open note on RGBA inputs).
    """
    return 1 if model_channels == 1 else 3


def verify_file(path: str) -> str | None:
    """Decode fully; None when fine, else the reason (picklable for process pools)."""
    try:
        load_image(path, None, 3)
    except BadImage as exc:
        return str(exc)
    return None


def printable_path(path: str) -> str:
    """``path`` for people: bytes that are not UTF-8 (a file named on another
    system) shown as U+FFFD instead of failing to print or vanishing in Qt."""
    return os.fsencode(path).decode("utf-8", "replace")


def image_files(paths: list[Path]) -> list[Path]:
    """Files as given, and every image file inside the folders among them."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out += sorted(f for f in p.rglob("*") if f.is_file() and is_image_name(f))
        else:
            out.append(p)
    return out


__all__ = [
    "GRAY_MODES",
    "IMAGE_EXTENSIONS",
    "TF_DECODABLE",
    "BadImage",
    "Header",
    "has_transparency",
    "image_files",
    "is_image_name",
    "load_image",
    "loader_channels",
    "printable_path",
    "read_header",
    "to_uint8_rgb_or_gray",
    "verify_file",
]
