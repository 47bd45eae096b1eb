"""Reading image files the way the model will see them, whatever their format.

Pillow handles everything TensorFlow's decoders do not: TIFF, WebP, EXIF
orientation, 16-bit, CMYK, palettes and alpha. Every file goes through
:func:`load_image`, so the browser's preview, training and prediction agree.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import NamedTuple

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from core.data.headers import HEAD_BYTES, parse_header

IMAGE_EXTENSIONS = frozenset(
    {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff"}
)
# Formats tf.io.decode_image reads natively (first GIF frame included); others
# and anything needing EXIF rotation or bit-depth scaling go through Pillow.
TF_DECODABLE = frozenset({"JPEG", "PNG", "BMP", "GIF"})
_ORIENTATION = 0x0112
# Pillow modes with a single (gray) channel, 8-bit or wider.
GRAY_MODES = frozenset({"L", "1", "I;16", "I;16B", "I;16L", "I", "F"})

# Pillow warns about every image over 89 megapixels (DecompressionBombWarning),
# a guard for servers decoding strangers' uploads. Here the user chose the
# files, the images are resized as they load, and one over twice the limit is
# still refused (DecompressionBombError, reported as a skipped file): the
# warning only printed two console lines per large photo. Filtered by message
# and module, so no other warning of Pillow's is lost.
warnings.filterwarnings(
    "ignore",
    message=r"Image size \(\d+ pixels\) exceeds limit",
    category=Image.DecompressionBombWarning,
    module=r"PIL\.Image",
)


class BadImage(Exception):
    """A file that looks like an image by its name but cannot be used."""


def is_image_name(path: str | os.PathLike[str]) -> bool:
    """An image extension and not hidden (``.DS_Store``, ``._photo.jpg``)."""
    # os.path, not pathlib: this runs once per file of a 60,000-file folder.
    name = os.path.basename(path)
    return (
        not name.startswith(".")
        and os.path.splitext(name)[1].lower() in IMAGE_EXTENSIONS
    )


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
        raise BadImage(_unidentified(path)) from None
    except Exception as exc:  # any decoder failure: see _reason
        raise BadImage(_reason(exc)) from None


def _unidentified(path: str | os.PathLike[str]) -> str:
    """Why Pillow found no format: an empty file says so (checked only on failure)."""
    try:
        empty = os.path.getsize(path) == 0
    except OSError:
        empty = False
    return "empty file" if empty else "not an image (unknown format)"


def loader_channels(model_channels: int) -> int:
    """The channels to load for a model input: gray stays 1, anything else RGB.

    The loaders make 1- or 3-channel images; a 4-channel (RGBA) model input is
    given RGB (see the open note on RGBA inputs).
    """
    return 1 if model_channels == 1 else 3


def has_transparency(im: Image.Image) -> bool:
    """An alpha channel, a transparent palette entry or a colour key (PNG tRNS)."""
    return im.mode in ("RGBA", "RGBa", "LA", "La", "PA") or "transparency" in im.info


def to_uint8_rgb_or_gray(im: Image.Image, channels: int) -> Image.Image:
    """Convert any Pillow mode to ``L`` (1 channel) or ``RGB`` (3 channels).

    16-bit and 32-bit images are scaled to 8 bits from their actual range, not
    clipped (clipping turns most 16-bit photos white). Transparency is
    composited on white, which is how such images look in every viewer; this is
    the one place that decides it, for training, previews and prediction alike.
    """
    if im.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        a = np.asarray(im, dtype=np.float64)
        top = 65535.0 if im.mode.startswith("I;16") else max(float(a.max()), 1.0)
        im = Image.fromarray(np.clip(a / top * 255.0 + 0.5, 0, 255).astype(np.uint8))
    if has_transparency(im):
        rgba = im.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        im = Image.alpha_composite(white, rgba).convert("RGB")
    return im.convert("L" if channels == 1 else "RGB")


def load_image(
    path: str | os.PathLike[str],
    size: tuple[int, int] | None = None,
    channels: int = 3,
) -> np.ndarray:
    """Decode ``path`` to uint8 ``(H, W, channels)``, resized to ``size`` (h, w).

    EXIF orientation is applied and only the first frame of an animation is used.

    Raises:
        BadImage: the file cannot be decoded (truncated, corrupt, not an image).
    """
    try:
        with Image.open(path) as im:
            im.seek(0)
            im = ImageOps.exif_transpose(im)
            im = to_uint8_rgb_or_gray(im, channels)
            if size is not None and (im.height, im.width) != tuple(size):
                im = im.resize((size[1], size[0]), Image.Resampling.BILINEAR)
            array = np.asarray(im, dtype=np.uint8)
    except UnidentifiedImageError:
        raise BadImage(_unidentified(path)) from None
    except Exception as exc:  # any decoder failure: see _reason
        raise BadImage(_reason(exc)) from None
    return array[..., None] if array.ndim == 2 else array


def verify_file(path: str) -> str | None:
    """Decode fully; None when fine, else the reason (picklable for process pools)."""
    try:
        load_image(path, None, 3)
    except BadImage as exc:
        return str(exc)
    return None


def _reason(exc: Exception) -> str:
    """The user's words for a decode failure.

    Pillow's decoders raise an open set of exceptions on hostile bytes (OSError,
    ValueError, SyntaxError, struct.error, IndexError, DecompressionBombError,
    ...); any of them means "this file cannot be used", never a crash.
    """
    if isinstance(exc, Image.DecompressionBombError):
        return f"too large to decode safely ({exc})"
    if isinstance(exc, MemoryError):
        return "too large to decode (out of memory)"
    if isinstance(exc, OSError) and exc.errno is not None:  # the system said no
        return f"cannot be read ({(exc.strerror or 'error').lower()})"
    text = str(exc)
    if "truncated" in text.lower() or "premature end" in text.lower():
        return "truncated image"
    return f"cannot be decoded ({text or type(exc).__name__})"


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
