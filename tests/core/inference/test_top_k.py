"""Top-k appears only where k is below the class count, from one rule."""

from __future__ import annotations

import csv
import io

import numpy as np
from PIL import Image

from core.cli import main
from core.inference.export import export_keras
from tests.core.inference.test_gradcam import app_model


def test_the_rule():
    from core.top_k import ranked_count, shown_top_k

    assert [shown_top_k(n) for n in (2, 3, 4, 10)] == [None, None, 3, 3]
    assert shown_top_k(10, 1) is None  # top-1 is accuracy itself
    assert shown_top_k(10, 5) == 5
    assert [ranked_count(n) for n in (1, 2, 3, 10)] == [1, 2, 3, 3]
    assert ranked_count(10, 0) == 1


def test_ranking_one_image_or_a_batch_likeliest_first():
    from core.top_k import ranked

    assert ranked(np.array([0.1, 0.6, 0.3])).tolist() == [1, 2, 0]
    assert ranked(np.array([0.7, 0.3])).tolist() == [0, 1]  # no rank past the last
    batch = np.array([[0.1, 0.2, 0.3, 0.4], [0.4, 0.3, 0.2, 0.1]])
    assert ranked(batch).tolist() == [[3, 2, 1], [0, 1, 2]]
    assert ranked(batch, 1).tolist() == [[3], [0]]


def test_predict_csv_of_a_two_class_model_has_no_third_rank(tmp_path, capsys):
    path = export_keras(app_model(2), tmp_path / "m.keras", ["cat", "dog"])
    image = tmp_path / "x.png"
    Image.fromarray(np.full((20, 30, 3), 90, np.uint8)).save(image)
    assert main(["predict", str(path), str(image), "--csv"]) == 0
    header, row = csv.reader(io.StringIO(capsys.readouterr().out))
    assert header == ["image", "class_1", "probability_1", "class_2", "probability_2"]
    assert len(row) == len(header)
    assert main(["predict", str(path), str(image)]) == 0
    assert capsys.readouterr().out.count("%") == 2
