"""``python -m core predict`` on a folder: batched, every good image predicted.

Issue 23: the model was called once per image (4.1x slower than plain Keras on
1,000 files, ``bench/predict_folder.py``), and the first bad image stopped the
whole folder. Speed is not timed here: the model's calls are counted.
"""

from __future__ import annotations

import csv
import io

import keras
import numpy as np
import pytest
from PIL import Image

import core.inference.predict as predict_module
from core.cli import main
from core.inference.export import export_keras
from core.inference.predict import predict
from tests.core.inference.test_gradcam import app_model

BATCH_SIZE = 64  # as the plain Keras script the bench compares with


@pytest.fixture
def model_file(tmp_path):
    keras.utils.set_random_seed(0)
    return export_keras(app_model(3), tmp_path / "m.keras", ["a", "b", "c"])


def images(folder, count, sizes=((32, 32),)):
    folder.mkdir(exist_ok=True)
    rng = np.random.default_rng(0)
    for i in range(count):
        h, w = sizes[i % len(sizes)]
        pixels = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(folder / f"{i:03d}.png")
    return sorted(folder.iterdir())


def test_a_folder_is_predicted_a_batch_at_a_time(tmp_path, model_file, monkeypatch):
    folder = tmp_path / "imgs"
    images(folder, BATCH_SIZE + 6)
    calls = []
    real = predict_module.probabilities

    def counted(model, batch, *args):
        calls.append(len(batch))
        return real(model, batch, *args)

    monkeypatch.setattr(predict_module, "probabilities", counted)
    assert main(["predict", str(model_file), str(folder), "--csv"]) == 0
    assert calls == [BATCH_SIZE, 6]


def test_bad_images_are_listed_and_the_rest_predicted(tmp_path, model_file, capsys):
    folder = tmp_path / "imgs"
    images(folder, 3)
    (folder / "001b.jpg").write_text("not an image")
    (folder / "002b.png").write_bytes(b"")
    status = main(["predict", str(model_file), str(folder), "--csv"])
    out, err = capsys.readouterr()
    assert status == 1  # a user error: some images could not be used
    rows = list(csv.reader(io.StringIO(out)))
    assert [r[0] for r in rows[1:]] == [str(folder / f"{i:03d}.png") for i in range(3)]
    assert err.splitlines() == [
        f"error: {folder / '001b.jpg'}: not an image (unknown format)",
        f"error: {folder / '002b.png'}: empty file",
    ]


def test_csv_is_what_one_image_at_a_time_gives(tmp_path, model_file, capsys):
    """Batching changes no figure: mixed sizes, exported (any-size) model."""
    folder = tmp_path / "imgs"
    paths = images(folder, 9, sizes=((32, 32), (20, 30), (41, 17)))
    assert main(["predict", str(model_file), str(folder), "--csv"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))[1:]
    from core.model_files.loading import load_model_file

    model = load_model_file(model_file)
    for path, row in zip(paths, rows, strict=True):
        [one] = predict(model, [path], ["a", "b", "c"], 3)
        assert row == [str(path)] + [v for n, p in one for v in (n, f"{p:.4f}")]
