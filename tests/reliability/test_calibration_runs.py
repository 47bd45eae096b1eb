"""Calibrating a run: the temperature fitted, recorded, and used by evaluate/export.

Runs are made as training leaves them (``make_run``: a tiny untrained model
on 60 shapes), so no training is needed.
"""

from __future__ import annotations

import json
from pathlib import Path

import keras
import numpy as np
import pytest

from core.cli import main
from core.errors import WorkbenchError
from core.inference.calibration import calibrate_run
from core.run_calibration import recorded_calibration, run_temperature
from core.temperature import calibrated_model, logits_model
from tests.core.inference.test_gradcam import app_model
from tests.reliability.test_cli_export_summary import make_run


def sharpened(folder: Path, by: float = 40.0) -> Path:
    """A run whose model is over-confident: its head's weights times ``by``."""
    model = keras.models.load_model(folder / "best.keras")
    head = model.layers[-1]
    head.set_weights([w * by for w in head.get_weights()])
    model.save(folder / "best.keras")
    return folder


@pytest.fixture
def run(tmp_path) -> Path:
    return sharpened(make_run(tmp_path / "run"))


def test_calibrate_fits_and_records_a_temperature(run):
    calibration = calibrate_run(run)
    assert calibration.temperature > 1  # an over-confident model is softened
    assert calibration.nll_after <= calibration.nll_before
    assert calibration.model == "best"
    assert calibration.test_after.bins == 15
    assert calibration.test_after.ece <= calibration.test_before.ece + 1e-9
    assert calibration.accuracy_after == calibration.accuracy_before
    assert run_temperature(run) == pytest.approx(calibration.temperature)
    recorded = json.loads((run / "run.json").read_text())["calibration"]
    assert recorded["temperature"] == pytest.approx(calibration.temperature)
    assert recorded["tta"] == "none"


def test_a_calibration_for_another_model_file_is_not_used(run):
    calibrate_run(run)
    record = json.loads((run / "run.json").read_text())
    record["calibration"]["model"] = "final"
    (run / "run.json").write_text(json.dumps(record))
    assert recorded_calibration(run) is None


def test_an_unfinished_run_is_refused(tmp_path):
    folder = make_run(tmp_path / "run")
    (folder / "run.json").unlink()
    with pytest.raises(WorkbenchError, match="has not finished"):
        calibrate_run(folder)


def test_evaluate_calibrate_prints_the_ece_and_temperature(run, capsys):
    assert main(["evaluate", str(run), "--calibrate"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("calibrated: temperature ")
    assert "ECE (15 bins)" in out
    assert "temperature    " in out
    assert main(["evaluate", str(run), "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["temperature"] == pytest.approx(run_temperature(run))
    assert figures["calibration"]["bins"] == 15
    assert len(figures["calibration"]["count"]) == 15


def test_evaluate_calibrate_refuses_a_model_file(tmp_path, capsys):
    path = tmp_path / "m.keras"
    app_model(6).save(path)
    status = main(["evaluate", str(path), "--dataset", "shapes", "--calibrate"])
    assert status == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("error: ")
    assert "needs a run folder" in err[0]


@pytest.mark.parametrize("tta", ["none", "flip"])
def test_the_calibrated_model_loads_in_plain_keras(tta, tmp_path):
    """softmax(logits / T), per view before the mean; safe_mode, stock layers."""
    model = app_model(3)
    images = np.random.default_rng(0).uniform(0, 255, (5, 32, 32, 3))
    path = tmp_path / "c.keras"
    calibrated_model(model, 2.5, tta).save(path)
    loaded = keras.models.load_model(path, safe_mode=True)
    logits, activation = logits_model(model)
    assert activation == "softmax"
    views = [images] if tta == "none" else [images, images[:, :, ::-1]]
    expected = np.mean(
        [keras.ops.softmax(logits.predict(v, verbose=0) / 2.5) for v in views], axis=0
    )
    np.testing.assert_allclose(loaded.predict(images, verbose=0), expected, atol=1e-6)
    names = {type(layer).__name__ for layer in loaded.layers}
    assert {"Rescaling", "Activation"} <= names
    assert "Lambda" not in names


def test_a_sigmoid_head_is_calibrated_alike(tmp_path):
    model = app_model(2)  # two classes: one sigmoid unit
    logits, activation = logits_model(model)
    assert activation == "sigmoid"
    images = np.random.default_rng(1).uniform(0, 255, (4, 32, 32, 3))
    path = tmp_path / "s.keras"
    calibrated_model(model, 0.5, "none").save(path)
    loaded = keras.models.load_model(path, safe_mode=True)
    expected = keras.ops.sigmoid(logits.predict(images, verbose=0) / 0.5)
    np.testing.assert_allclose(loaded.predict(images, verbose=0), expected, atol=1e-6)


@pytest.mark.parametrize("tta", ["none", "flip"])
def test_a_calibrated_export_predicts_softmax_of_logits_over_t(run, tmp_path, tta):
    """``export --calibrated``: plain Keras (safe mode) gives softmax(logits / T),
    per view before the mean; the card says it carries the temperature."""
    t = calibrate_run(run).temperature
    out = tmp_path / "model.keras"
    status = main(["export", str(run), str(out), "--calibrated", "--tta", tta])
    assert status in (0, 4)  # 4: kept, "not verified" when no data can be had
    loaded = keras.models.load_model(out, safe_mode=True)
    images = np.random.default_rng(3).uniform(0, 255, (4, 32, 32, 3))
    logits, _ = logits_model(keras.models.load_model(run / "best.keras"))
    views = [images] if tta == "none" else [images, images[:, :, ::-1]]
    expected = np.mean(
        [keras.ops.softmax(logits.predict(v, verbose=0) / t) for v in views], axis=0
    )
    np.testing.assert_allclose(loaded.predict(images, verbose=0), expected, atol=1e-5)
    card = (tmp_path / "model.keras.card.md").read_text()
    assert f"temperature {t:.4f}" in card
    assert "This file carries the temperature" in card


def test_calibrated_without_a_calibration_is_one_line(tmp_path, capsys):
    folder = make_run(tmp_path / "run")
    status = main(["export", str(folder), str(tmp_path / "m.keras"), "--calibrated"])
    assert status == 1
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert err[-1].startswith("error: ")
    assert "has no calibration" in err[-1]
    assert "--calibrate" in err[-1]
    assert not (tmp_path / "m.keras").exists()


def test_a_damaged_calibration_is_one_line(run, capsys):
    record = json.loads((run / "run.json").read_text())
    record["calibration"] = {"temperature": -1}
    (run / "run.json").write_text(json.dumps(record))
    assert main(["evaluate", str(run)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error: ")
    assert "'calibration' should be a fitted temperature above 0" in err[-1]


def test_a_failed_write_keeps_the_record(run, monkeypatch):
    import core.inference.calibration as calibration

    before = (run / "run.json").read_bytes()

    def full(path, text):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(calibration, "write_atomic", full)
    with pytest.raises(WorkbenchError, match="could not record the calibration"):
        calibrate_run(run)
    assert (run / "run.json").read_bytes() == before
    assert run_temperature(run) is None


def test_no_validation_split_is_refused(tmp_path):
    folder = make_run(tmp_path / "run")
    config = json.loads((folder / "config.json").read_text())
    config["dataset"]["spec"]["validation_fraction"] = 0.0
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(WorkbenchError, match="has no validation split"):
        calibrate_run(folder)
