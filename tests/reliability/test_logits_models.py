"""A model that outputs logits (no softmax) is shown and scored as probabilities.

Issue 23: ``predict`` printed "-222.5%" and ``evaluate`` computed its loss on
the raw scores. The rule (``core.inference.output_activation``) decides once per
model and says so once.
"""

from __future__ import annotations

import csv
import io
import json

import keras
import numpy as np
import pytest
from PIL import Image

from core.cli import main
from tests.shapes_folder import shapes_folder


def dense_model(classes: int, activation: str | None) -> keras.Model:
    keras.utils.set_random_seed(1)
    return keras.Sequential(
        [
            keras.Input((32, 32, 3)),
            keras.layers.Rescaling(1 / 255),
            keras.layers.Flatten(),
            keras.layers.Dense(classes, activation=activation, name="head"),
        ]
    )


def scaled_up(model: keras.Model) -> keras.Model:
    """Large logits, so raw scores could never pass as probabilities."""
    kernel, bias = model.get_layer("head").get_weights()
    model.get_layer("head").set_weights([kernel * 50, bias + 3])
    return model


@pytest.mark.parametrize("classes", [3, 1])
def test_predict_shows_probabilities_of_a_logits_model(tmp_path, capsys, classes):
    path = tmp_path / "logits.keras"
    model = scaled_up(dense_model(classes, None))
    model.save(path)
    folder = tmp_path / "imgs"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(4):
        pixels = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(folder / f"{i}.png")
    assert main(["predict", str(path), str(folder), "--csv"]) == 0
    out, err = capsys.readouterr()
    rows = list(csv.reader(io.StringIO(out)))[1:]
    for row in rows:
        probs = [float(p) for p in row[2::2]]
        assert all(0 <= p <= 1 for p in probs)
        assert sum(probs) == pytest.approx(1, abs=1e-3)
    expected = "sigmoid" if classes == 1 else "softmax"
    notes = [line for line in err.splitlines() if line.startswith("note:")]
    assert len(notes) == 1
    assert expected in notes[0]
    assert "logits.keras" in notes[0]


def test_evaluate_scores_a_logits_model_as_its_softmax_twin(tmp_path, capsys):
    logits = scaled_up(dense_model(6, None))
    inputs = keras.Input((32, 32, 3))
    twin = keras.Model(inputs, keras.layers.Softmax()(logits(inputs)))
    folder = shapes_folder(tmp_path / "shapes")
    figures = []
    for name, model in (("logits.keras", logits), ("softmax.keras", twin)):
        model.save(tmp_path / name)
        argv = ["evaluate", str(tmp_path / name), "--dataset", str(folder), "--json"]
        assert main(argv) == 0
        figures.append(json.loads(capsys.readouterr().out))
    assert figures[0]["accuracy"] == figures[1]["accuracy"]
    assert figures[0]["loss"] == pytest.approx(figures[1]["loss"], rel=1e-4)
