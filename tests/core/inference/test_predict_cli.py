"""``python -m core predict``: top-k lines, CSV, and one-line refusals."""

from __future__ import annotations

import keras
import numpy as np
from PIL import Image

from core.cli import main
from core.inference.export import export_keras
from tests.core.inference.test_gradcam import app_model


def test_predict_prints_top_k_and_csv(tmp_path, capsys):
    path = export_keras(
        app_model(3), tmp_path / "m.keras", ["circle", "square", "star"]
    )
    folder = tmp_path / "imgs"
    folder.mkdir()
    for i in range(2):
        Image.fromarray(np.full((20, 30, 3), 60 * i, np.uint8)).save(
            folder / f"{i}.png"
        )
    assert main(["predict", str(path), str(folder), "--top-k", "2"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(str(folder / "0.png"))
    assert lines[0].count("%") == 2
    assert main(["predict", str(path), str(folder / "1.png"), "--csv"]) == 0
    rows = capsys.readouterr().out.strip().splitlines()
    assert rows[0].startswith("image,class_1,probability_1")
    assert len(rows) == 2


def test_refusals_are_one_line(tmp_path, capsys):
    path = export_keras(app_model(3), tmp_path / "m.keras", ["a", "b", "c"])
    bad = tmp_path / "notes.jpg"
    bad.write_text("not an image")
    assert main(["predict", str(path), str(bad)]) == 1
    assert capsys.readouterr().err.strip().startswith("error: ")
    assert main(["predict", str(tmp_path / "missing.keras"), str(bad)]) == 1
    assert "no such model file" in capsys.readouterr().err


def test_a_lambda_layer_is_refused_and_never_run(tmp_path, capsys):
    marker = tmp_path / "ran.txt"
    inputs = keras.Input((4,))
    outputs = keras.layers.Lambda(lambda x: x * 2)(inputs)
    model = keras.Model(inputs, outputs)
    path = tmp_path / "lambda.keras"
    model.save(path)
    image = tmp_path / "x.png"
    Image.new("RGB", (4, 4)).save(image)
    assert main(["predict", str(path), str(image)]) == 1
    err = capsys.readouterr().err
    assert "Lambda layer" in err
    assert "nothing was executed" in err
    assert not marker.exists()
