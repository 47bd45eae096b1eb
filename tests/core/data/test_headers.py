"""The quick header read answers exactly what Pillow would, for every kind of file.

``read_header`` reads plain PNG and JPEG headers itself (three times faster
than ``Image.open``) and leaves everything else to Pillow; this holds it to
Pillow's answer on generated files of every mode, size and option, and on
ones with a damaged header.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from core.data.images import BadImage, has_transparency, load_image, read_header

MODES = ["L", "RGB", "RGBA", "LA", "P", "1", "I;16", "CMYK"]
SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def pillow_says(path) -> tuple | str:
    """The header fields straight from Pillow, or "bad" when it refuses the file."""
    try:
        with Image.open(path) as im:
            rotated = im.format in ("JPEG", "MPO", "TIFF", "WEBP") and (
                im.getexif().get(0x0112, 1) not in (0, 1)
            )
            return (im.width, im.height, im.mode, im.format, rotated,
                    has_transparency(im))  # fmt: skip
    except Exception:  # any refusal is "bad" here
        return "bad"


def ours(path) -> tuple | str:
    try:
        return tuple(read_header(path))
    except BadImage:
        return "bad"


@st.composite
def image_files(draw):
    mode = draw(st.sampled_from(MODES))
    fmt = draw(st.sampled_from(["PNG", "JPEG"]))
    if fmt == "JPEG" and mode not in ("L", "RGB", "CMYK"):
        mode = "RGB"
    if fmt == "PNG" and mode == "CMYK":
        mode = "RGBA"
    w, h = draw(st.integers(1, 40)), draw(st.integers(1, 40))
    seed = draw(st.integers(0, 2**16))
    pixels = np.random.default_rng(seed).integers(0, 255, (h, w, 4)).astype(np.uint8)
    im = Image.fromarray(pixels, "RGBA").convert(mode)
    options = {}
    if fmt == "JPEG":
        options["progressive"] = draw(st.booleans())
        if draw(st.booleans()):
            exif = Image.Exif()
            exif[0x0112] = draw(st.sampled_from([1, 3, 6, 8]))
            options["exif"] = exif.tobytes()
    else:
        options["interlace"] = draw(st.booleans())
        if mode in ("RGB", "L", "P") and draw(st.booleans()):
            options["transparency"] = 0 if mode != "RGB" else (0, 0, 0)
    buf = io.BytesIO()
    im.save(buf, fmt, **options)
    data = bytearray(buf.getvalue())
    for where, value in draw(
        st.lists(st.tuples(st.floats(0, 0.999), st.integers(0, 255)), max_size=3)
    ):
        data[int(where * min(len(data), 120))] = value  # damage the header area
    return bytes(data)


@SETTINGS
@given(data=image_files())
def test_read_header_agrees_with_pillow(tmp_path, data):
    """A file Pillow opens gets Pillow's answer; one it refuses is refused by
    the scan or, where only Pillow's table checks see the damage, by decoding
    (as damaged pixels are: the full verification and training skip it)."""
    path = tmp_path / "image"
    path.write_bytes(data)
    expected = pillow_says(path)
    if expected != "bad" or ours(path) == "bad":
        assert ours(path) == expected
    else:
        with pytest.raises(BadImage):
            load_image(path, None, 3)
