"""Local MNIST/Fashion-MNIST IDX files that are damaged are refused, naming the file.

Driven the way a user meets them: ``open_dataset`` (what the Data page runs) and
``python -m core dataset-info mnist --local FOLDER`` in a subprocess.
"""

from __future__ import annotations

import gzip
import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core.data.builtin import IDX_FILES
from core.data.load import open_dataset
from core.data.spec import DatasetSpec
from core.errors import DatasetError

ROOT = Path(__file__).resolve().parents[3]


def idx_bytes(array: np.ndarray) -> bytes:
    """An IDX file: magic (0, 0, uint8 type, rank), the dimensions, the bytes."""
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim)
    header += b"".join(struct.pack(">I", d) for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


def write_idx_set(folder: Path, train: int = 30, test: int = 10) -> Path:
    """Four small valid IDX files, gzipped, named as Keras names them."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    arrays = (
        rng.integers(0, 256, (train, 28, 28)),
        np.arange(train) % 10,
        rng.integers(0, 256, (test, 28, 28)),
        np.arange(test) % 10,
    )
    for name, array in zip(IDX_FILES, arrays, strict=True):
        (folder / name).write_bytes(gzip.compress(idx_bytes(array)))
    return folder


def rewrite(path: Path, data: bytes, compress: bool = True) -> None:
    path.write_bytes(gzip.compress(data) if compress else data)


def test_a_valid_small_set_loads(tmp_path):
    folder = write_idx_set(tmp_path / "mnist")
    ds = open_dataset(DatasetSpec(name="mnist", path=str(folder)))
    assert ds.splits["test"].images.shape == (10, 28, 28, 1)
    assert len(ds.splits["train"]) + len(ds.splits["validation"]) == 30


def _truncated_images(folder: Path) -> str:
    path = folder / IDX_FILES[0]
    data = gzip.decompress(path.read_bytes())
    rewrite(path, data[: len(data) - 500])
    return IDX_FILES[0]


def _truncated_gzip(folder: Path) -> str:
    path = folder / IDX_FILES[2]
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])
    return IDX_FILES[2]


def _label_count_differs(folder: Path) -> str:
    rewrite(folder / IDX_FILES[1], idx_bytes(np.arange(29) % 10))
    return IDX_FILES[1]


def _labels_of_another_set(folder: Path) -> str:
    # The test labels copied over the training labels: counts disagree.
    (folder / IDX_FILES[1]).write_bytes((folder / IDX_FILES[3]).read_bytes())
    return IDX_FILES[1]


def _images_where_labels_belong(folder: Path) -> str:
    (folder / IDX_FILES[3]).write_bytes((folder / IDX_FILES[2]).read_bytes())
    return IDX_FILES[3]


def _not_idx_at_all(folder: Path) -> str:
    rewrite(folder / IDX_FILES[0], b"<html>Not Found</html>" * 40)
    return IDX_FILES[0]


def _not_gzip_at_all(folder: Path) -> str:
    rewrite(folder / IDX_FILES[2], b"plain text, not gzip", compress=False)
    return IDX_FILES[2]


def _wrong_image_size(folder: Path) -> str:
    rewrite(folder / IDX_FILES[2], idx_bytes(np.zeros((10, 32, 32))))
    return IDX_FILES[2]


def _empty_file(folder: Path) -> str:
    (folder / IDX_FILES[3]).write_bytes(b"")
    return IDX_FILES[3]


def _label_out_of_range(folder: Path) -> str:
    rewrite(folder / IDX_FILES[3], idx_bytes(np.full(10, 12)))
    return IDX_FILES[3]


DAMAGE = [
    _truncated_images,
    _truncated_gzip,
    _label_count_differs,
    _labels_of_another_set,
    _images_where_labels_belong,
    _not_idx_at_all,
    _not_gzip_at_all,
    _wrong_image_size,
    _empty_file,
    _label_out_of_range,
]


@pytest.mark.parametrize("damage", DAMAGE, ids=lambda f: f.__name__.strip("_"))
def test_damaged_idx_files_are_refused_naming_the_file(tmp_path, damage):
    folder = write_idx_set(tmp_path / "fashion")
    name = damage(folder)
    with pytest.raises(DatasetError) as info:
        open_dataset(DatasetSpec(name="fashion-mnist", path=str(folder)))
    assert name in str(info.value)
    assert "\n" not in str(info.value)


def test_the_command_line_says_one_line_naming_the_file(tmp_path):
    folder = write_idx_set(tmp_path / "mnist")
    name = _label_count_differs(folder)
    done = subprocess.run(
        [sys.executable, "-m", "core", "dataset-info", "mnist", "--local", str(folder)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=os.environ | {"PYTHONPATH": str(ROOT)},
        timeout=120,
    )
    assert done.returncode == 1
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert "Traceback" not in done.stderr
    assert lines[-1].startswith("error: ")
    assert name in lines[-1]
