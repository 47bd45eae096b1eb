"""A bounded fuzz of image loading: bad files are skipped and reported, never fatal.

Random bytes, truncated and mutated real images, a PNG whose header claims
20000x20000 pixels, empty files, wrong extensions, symlink loops, unreadable
files (``open`` patched to raise PermissionError: CI runs as root, so chmod
cannot make one), non-UTF-8 and very long names. Each goes through the paths a
user's data takes: the header scan, the full verification, loading one image
(the Data page's preview, prediction), a training pass through tf.data, and
``python -m core dataset-info``. The only exception allowed out of a single
file is ``BadImage``; a folder never raises for a bad file.
"""

from __future__ import annotations

import builtins
import io
import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from core.data.images import BadImage, load_image, read_header
from core.data.pipeline import make_tf_dataset
from core.data.scan import scan_folder, verify_images
from tests.core.data.test_pipeline import open_all

ROOT = Path(__file__).resolve().parents[2]
FORMATS = {"png": "PNG", "jpg": "JPEG", "gif": "GIF", "bmp": "BMP", "webp": "WEBP"}
FORMATS |= {"tiff": "TIFF"}
FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def real_image(ext: str, size: int = 24) -> bytes:
    rng = np.random.default_rng(len(ext))
    pixels = rng.integers(0, 255, (size, size, 3)).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, FORMATS[ext])
    return buf.getvalue()


def bomb_png(width: int = 20_000, height: int = 20_000) -> bytes:
    """A valid PNG header claiming ``width`` x ``height``, with almost no pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\0" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat)


def only_bad_image(path: Path) -> None:
    """Loading and header reading either work or raise BadImage with a reason."""
    for read in (read_header, lambda p: load_image(p, (16, 16), 3)):
        reason = "read"
        try:
            read(path)
        except BadImage as exc:
            reason = str(exc)
        assert reason


@FUZZ
@given(data=st.binary(max_size=2048), ext=st.sampled_from(sorted(FORMATS)))
def test_random_bytes_are_refused_as_bad_images(tmp_path, data, ext):
    path = tmp_path / f"random.{ext}"
    path.write_bytes(data)
    only_bad_image(path)


@FUZZ
@given(ext=st.sampled_from(sorted(FORMATS)), cut=st.floats(0.0, 0.99))
def test_truncated_real_images_are_refused_or_read(tmp_path, ext, cut):
    data = real_image(ext)
    path = tmp_path / f"cut.{ext}"
    path.write_bytes(data[: int(len(data) * cut)])
    only_bad_image(path)


@FUZZ
@given(
    ext=st.sampled_from(sorted(FORMATS)),
    edits=st.lists(st.tuples(st.floats(0, 0.999), st.integers(0, 255)), max_size=12),
)
def test_mutated_real_images_are_refused_or_read(tmp_path, ext, edits):
    data = bytearray(real_image(ext))
    for where, value in edits:
        data[int(where * len(data))] = value
    path = tmp_path / f"mutated.{ext}"
    path.write_bytes(bytes(data))
    only_bad_image(path)


def test_a_decompression_bomb_header_is_refused_without_decoding(tmp_path):
    path = tmp_path / "bomb.png"
    path.write_bytes(bomb_png())
    for read in (read_header, lambda p: load_image(p, None, 3)):
        with pytest.raises(BadImage, match="too large"):
            read(path)


def nasty_folder(root: Path) -> dict[str, str]:
    """Two classes of good images plus one of every bad kind; name -> expected."""
    for name in ("cat", "dog"):
        (root / name).mkdir(parents=True)
        for i in range(6):
            (root / name / f"{i}.png").write_bytes(real_image("png"))
    cat, dog = root / "cat", root / "dog"
    expected = {}
    (cat / "empty.jpg").write_bytes(b"")
    expected["empty.jpg"] = "empty file"
    (cat / "random.png").write_bytes(os.urandom(600))
    expected["random.png"] = "not an image"
    (cat / "bomb.png").write_bytes(bomb_png())
    expected["bomb.png"] = "too large"
    (dog / "text.gif").write_text("GIF? no, text")
    expected["text.gif"] = "not an image"
    (dog / "loop.jpg").symlink_to(dog / "loop.jpg")  # a symlink to itself
    expected["loop.jpg"] = "cannot be read (too many levels of symbolic links)"
    (dog / "locked.png").write_bytes(real_image("png"))
    expected["locked.png"] = "permission denied"
    cut = real_image("png", 64)
    (dog / "cut.png").write_bytes(cut[: len(cut) // 2])  # header fine: verify finds it
    expected["cut.png"] = "truncated"
    # Kept: a PNG named .jpg, a very long name, a name that is not UTF-8, and a
    # folder symlink loop (never followed).
    (cat / "really_a_png.jpg").write_bytes(real_image("png"))
    (cat / ("long" * 60 + ".png")).write_bytes(real_image("png"))
    name = os.fsencode(dog) + b"/caf\xe9.png"  # Latin-1, invalid UTF-8
    with open(name, "wb") as f:
        f.write(real_image("png"))
    with open(os.fsencode(dog) + b"/bad\xff.jpg", "wb") as f:
        f.write(b"not a JPEG, and not a UTF-8 name")
    expected["bad\udcff.jpg"] = "not an image"
    (dog / "again").symlink_to(dog, target_is_directory=True)
    return expected


@pytest.fixture
def nasty(tmp_path, monkeypatch):
    root = tmp_path / "nasty"
    expected = nasty_folder(root)
    real_open = builtins.open

    def locked_open(file, *args, **kwargs):
        if str(file).endswith("locked.png"):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", locked_open)
    return root, expected


def reasons(report) -> dict[str, str]:
    return {os.path.basename(p): r for p, r in report.skipped}


def test_the_scan_and_verification_skip_and_report_every_bad_file(nasty):
    root, expected = nasty
    scan = scan_folder(root)
    found = reasons(scan.report)
    assert set(found) == set(expected) - {"cut.png"}  # the header scan cannot see it
    scan = verify_images(scan, processes=1)
    found = reasons(scan.report)
    assert set(found) == set(expected)
    for name, words in expected.items():
        assert words in found[name], (name, found[name])
    kept = [os.path.basename(p) for files in scan.splits.values() for p, _ in files]
    assert len(kept) == 12 + 3
    assert "caf\udce9.png" in kept
    assert "really_a_png.jpg" in kept


def test_training_input_skips_bad_files_and_reads_odd_names(nasty):
    root, _ = nasty
    data = open_all(root)
    batches = make_tf_dataset(data, "train", (16, 16), 3, batch_size=4)
    images = sum(int(x.shape[0]) for x, _ in batches)
    assert images == 12 + 3  # the truncated PNG dropped, the odd names read


def test_dataset_info_reports_them_in_one_run_without_a_traceback(tmp_path):
    root = tmp_path / "nasty"
    nasty_folder(root)
    (root / "dog" / "locked.png").unlink()  # patching open cannot cross processes
    done = subprocess.run(
        [sys.executable, "-m", "core", "dataset-info", str(root)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=os.environ | {"PYTHONPATH": str(ROOT)},
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "skipped files: 7 (full decode)" in done.stdout
    assert "bad\ufffd.jpg: not an image" in done.stdout
    assert "bomb.png: too large" in done.stdout
