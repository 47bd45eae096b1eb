"""Decoding an image file the way the model will see it, whatever its format.

Pillow handles everything TensorFlow's decoders do not: TIFF, WebP, EXIF
orientation, 16-bit, CMYK, palettes and alpha. The app's browser, training and
prediction and an exported script all decode through :func:`load_image`, so
they agree on every pixel.
"""

from __future__ import annotations

import os
import warnings

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

IMAGE_EXTENSIONS = frozenset(
    {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff"}
)

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
        raise BadImage(unidentified_reason(path)) from None
    except Exception as exc:  # any decoder failure: see failure_reason
        raise BadImage(failure_reason(exc)) from None
    return array[..., None] if array.ndim == 2 else array


def unidentified_reason(path: str | os.PathLike[str]) -> str:
    """Why Pillow found no format: an empty file says so (checked only on failure)."""
    try:
        empty = os.path.getsize(path) == 0
    except (OSError, TypeError):  # gone, or a file object (an archive's member)
        empty = False
    return "empty file" if empty else "not an image (unknown format)"


def failure_reason(exc: Exception) -> str:
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
