"""The model card: its sections, the verification beside the export, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.cli import main
from core.inference.calibration import calibrate_run
from core.inference.model_card import card_path, model_card, write_card
from core.model_files.loading import load_model_file
from core.training.run_evaluation import evaluate_run
from tests.core.inference.test_gradcam import app_model
from tests.reliability.test_cli_export_summary import make_run

SECTIONS = (
    "## The model",
    "## The data",
    "## The recipe",
    "## Test figures",
    "### Calibration",
    "## Verification",
    "## Package versions",
    "## How to load it",
)
CLASSES = ["circle", "square", "triangle", "star", "cross", "hexagon"]


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    """A run with test figures and a fitted temperature."""
    folder = make_run(tmp_path_factory.mktemp("runs") / "run")
    calibrate_run(folder)
    evaluate_run(folder)
    return folder


def test_the_card_has_every_section(run):
    model = load_model_file(run / "best.keras")
    card = model_card(model, CLASSES, run)
    positions = [card.index(s) for s in SECTIONS]
    assert positions == sorted(positions)
    assert "- Input: 32x32 pixels, 3 channels" in card
    assert f"- Parameters: {model.count_params():,}" in card
    assert "- Classes (6): circle, square" in card
    assert "| epochs | 1 |" in card  # the recipe: the run's settings
    header = "| | " + " | ".join(CLASSES) + " |"
    assert header in card  # the confusion matrix as a table
    assert "ECE (15 bins)" in card
    assert "Fitted: temperature" in card
    assert "Not verified." in card  # a run's own model has no export to check
    assert "keras.models.load_model" in card


def test_an_export_card_reads_the_verification_beside_it(run, tmp_path):
    target = tmp_path / "model.keras"
    target.write_bytes(b"")  # the export itself is not read
    (tmp_path / "model.keras.verify.json").write_text(
        json.dumps(
            {
                "status": "passed",
                "split": "test",
                "images": 6,
                "agreement": 1.0,
                "max_difference": 3e-8,
            }
        )
    )
    model = load_model_file(run / "best.keras")
    path = write_card(target, model, CLASSES, run, "keras", temperature=1.5)
    assert path == card_path(target) == tmp_path / "model.keras.card.md"
    card = path.read_text()
    assert "- Status: passed" in card
    assert "- Top-1 agreement: 100.00%" in card
    assert "temperature 1.5000" in card
    assert "This file carries the temperature" in card
    assert 'keras.models.load_model("model.keras")' in card
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "model.keras",
        "model.keras.card.md",
        "model.keras.verify.json",
    ]


def test_an_imported_model_card_says_what_it_does_not_know(tmp_path):
    card = model_card(app_model(3), ["a", "b", "c"], None, key="onnx")
    assert "Not recorded: the model came without its run." in card
    assert "None recorded" in card
    assert "Not verified." in card
    assert "onnxruntime" in card


def test_card_prints_the_runs_card(run, capsys):
    assert main(["card", str(run)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# Model card: run (best.keras)")
    for section in SECTIONS:
        assert section in out


def test_a_damaged_verification_file_reads_not_verified(run, tmp_path):
    target = tmp_path / "model.onnx"
    (tmp_path / "model.onnx.verify.json").write_text("{ not json")
    model = load_model_file(run / "best.keras")
    card = write_card(target, model, CLASSES, run, "onnx").read_text()
    assert "## Verification\n\nNot verified." in card


def test_the_card_names_a_whitening_init_and_the_activations(run, tmp_path):
    # Issue 26: the run's record names every technique used; two are not
    # settings but layer choices, and the card listed only the layers' classes.
    import shutil

    folder = tmp_path / "run"
    shutil.copytree(run, folder)
    config = json.loads((folder / "config.json").read_text())
    config["model"]["layers"] = [
        {"class_name": "Rescaling", "config": {"name": "r"}},
        {
            "class_name": "Conv2D",
            "config": {"init": "whitening (frozen)", "activation": "gelu"},
        },
        {"class_name": "Conv2D", "config": {"name": "c2", "activation": "linear"}},
        {"class_name": "Activation", "config": {"name": "a", "activation": "relu"}},
    ]
    (folder / "config.json").write_text(json.dumps(config))
    record = json.loads((folder / "run.json").read_text())
    record["whitening"] = {"layer": "c1", "trainable": False, "sample_images": 48}
    (folder / "run.json").write_text(json.dumps(record))
    card = model_card(load_model_file(folder / "best.keras"), CLASSES, folder)
    whitened = "Conv2D(whitening (frozen), gelu)"
    assert f"- Layers: Rescaling -> {whitened} -> Conv2D -> Activation(relu)" in card
    assert "The first convolution (c1) started from patch whitening of 48" in card
    assert "then was kept frozen." in card
