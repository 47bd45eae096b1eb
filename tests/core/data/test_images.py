"""Pillow decoding: every mode converted as the model expects, bad files named."""

from __future__ import annotations

import pytest

from core.data.images import BadImage, is_image_name, load_image, read_header


def test_modes_are_converted(messy_folder):
    assert load_image(messy_folder / "cat" / "gray.png", None, 3).shape == (16, 16, 3)
    assert load_image(messy_folder / "cat" / "a.png", None, 1).shape == (16, 16, 1)
    # RGBA (200, 200, 200) at alpha 200 composited on white: 200*200/255 + 55.
    assert load_image(messy_folder / "cat" / "rgba.png", None, 3).max() == 212
    cmyk = load_image(messy_folder / "dog" / "cmyk.jpg", None, 3)
    assert cmyk.shape == (16, 16, 3)
    assert cmyk[..., 0].mean() > 200  # pure red, not garbage
    assert cmyk[..., 1].mean() < 50
    assert load_image(messy_folder / "cat" / "f.gif", (8, 8), 3).shape == (8, 8, 3)


def test_16_bit_is_scaled_not_clipped(messy_folder):
    image = load_image(messy_folder / "dog" / "deep.png", None, 1)
    assert image.min() == 0
    assert image.max() == 255
    assert 100 < image.mean() < 155  # a full ramp, not a white square


def test_exif_orientation_is_applied(messy_folder):
    path = messy_folder / "fox" / "rotated.jpg"
    assert read_header(path).rotated
    assert not read_header(path).tf_decodable
    assert load_image(path, None, 3).shape == (16, 8, 3)  # stored 8 high, 16 wide


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("cat/notes.jpg", "not an image"),
        ("dog/empty.png", "empty file"),
    ],
)
def test_bad_headers_have_reasons(messy_folder, name, reason):
    with pytest.raises(BadImage, match=reason):
        read_header(messy_folder / name)


def test_truncated_file_fails_to_decode(messy_folder):
    with pytest.raises(BadImage, match="truncated"):
        load_image(messy_folder / "fox" / "truncated.png")


def test_image_names():
    assert is_image_name("a/b/photo.JPG")
    assert not is_image_name("a/.hidden.png")
    assert not is_image_name("notes.txt")
