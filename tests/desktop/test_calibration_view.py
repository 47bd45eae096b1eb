"""The Training page's Calibration tab and the Prediction page's temperature.

The reliability bars are the ones core computed; Calibrate fits the run's
temperature on a worker thread and draws the calibrated bars; the Prediction
page then predicts at it.
"""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest

from core.runs import Run
from core.temperature import logits_model
from core.training.run_evaluation import evaluate_run
from desktop.widgets.calibration_view import AFTER, BEFORE, CalibrationView
from tests.core.inference.test_gradcam import app_model
from tests.reliability.test_calibration_runs import sharpened
from tests.reliability.test_cli_export_summary import make_run


@pytest.fixture
def run(tmp_path):
    folder = sharpened(make_run(tmp_path / "run"))
    return Run(folder), evaluate_run(folder)


def test_the_diagram_shows_core_figures_and_calibrate_adds_the_calibrated(qtbot, run):
    run, evaluation = run
    view = CalibrationView()
    qtbot.addWidget(view)
    assert not view.calibrate_button.isEnabled()
    view.show_figures(evaluation.calibration, run, None)
    shown = evaluation.calibration
    heights = [a for a, n in zip(shown["accuracy"], shown["count"], strict=True) if n]
    np.testing.assert_allclose(view.bars[BEFORE].opts["height"], heights)
    assert "ECE (15 bins)" in view.ece.text()
    assert "Not calibrated" in view.ece.text()
    assert view.calibrate_button.isEnabled()
    with qtbot.waitSignal(view.calibrated, timeout=120_000) as blocker:
        view.calibrate_button.click()
    folder, calibration = blocker.args
    assert folder == str(run.path)
    assert calibration.temperature > 1
    assert AFTER in view.bars
    assert f"temperature {calibration.temperature:.3f}" in view.ece.text()
    recorded = json.loads((run.path / "run.json").read_text())["calibration"]
    assert recorded["temperature"] == pytest.approx(calibration.temperature)
    assert view.calibrate_button.isEnabled()


def test_a_failed_calibration_is_told(qtbot, run):
    run, evaluation = run
    (run.path / "run.json").unlink()  # as if it never finished
    view = CalibrationView()
    qtbot.addWidget(view)
    view.show_figures(evaluation.calibration, run, None)
    with qtbot.waitSignal(view.failed, timeout=60_000) as blocker:
        view.calibrate()
    assert "has not finished" in blocker.args[0]
    assert "Calibration failed" in view.ece.text()


def test_the_prediction_page_predicts_at_the_temperature(qtbot, prediction_page):
    model = app_model(3)
    prediction_page.set_model(
        model, ["a", "b", "c"], "run · best model", "project", 2.0
    )
    assert "calibrated, T 2.00" in prediction_page.model_label.text()
    image = np.random.default_rng(0).integers(0, 255, (32, 32, 3), dtype=np.uint8)
    with qtbot.waitSignal(prediction_page.predicted, timeout=30_000):
        prediction_page.add_image(image, "noise")
    probs = prediction_page.results[0][0]
    logits, _ = logits_model(model)
    z = logits.predict(image[None].astype("float32"), verbose=0)
    np.testing.assert_allclose(probs, keras.ops.softmax(z / 2.0)[0], atol=1e-5)


def test_the_export_dialog_carries_the_runs_temperature(qtbot, run, tmp_path):
    from core.inference.calibration import calibrate_run
    from core.model_files.loading import load_model_file
    from desktop.export_dialog import ExportDialog, ExportSource

    run, _ = run
    model = load_model_file(run.path / "best.keras")
    plain = ExportDialog(ExportSource(model, ["x"] * 6, "m", run=run.path), tmp_path)
    qtbot.addWidget(plain)
    assert not plain.calibrated_check.isEnabled()  # nothing fitted yet
    assert "calibrate the run first" in plain.calibrated_check.toolTip()
    t = calibrate_run(run).temperature
    names = ["circle", "square", "triangle", "star", "cross", "hexagon"]
    dialog = ExportDialog(ExportSource(model, names, "m", run=run.path), tmp_path)
    qtbot.addWidget(dialog)
    dialog.set_format("keras")
    assert dialog.calibrated_check.isEnabled()
    dialog.calibrated_check.setChecked(True)
    dialog.verify_check.setChecked(False)
    with qtbot.waitSignal(dialog.exported, timeout=120_000):
        dialog.export_button.click()
    loaded = keras.models.load_model(tmp_path / "m.keras", safe_mode=True)
    image = np.random.default_rng(1).uniform(0, 255, (2, 32, 32, 3))
    z = logits_model(model)[0].predict(image, verbose=0)
    np.testing.assert_allclose(
        loaded.predict(image, verbose=0), keras.ops.softmax(z / t), atol=1e-5
    )
    assert (
        "This file carries the temperature"
        in (tmp_path / "m.keras.card.md").read_text()
    )
    dialog.set_format("python")
    assert not dialog.calibrated_check.isEnabled()


def test_the_results_show_a_runs_ece_and_diagram(qtbot, run):
    from core.runs import RunStore
    from desktop.widgets.training_results import TrainingResults

    run, evaluation = run
    results = TrainingResults(lambda: RunStore(run.path.parent))
    qtbot.addWidget(results)
    results.show_run(run, None)
    assert f"ECE (15 bins) {evaluation.calibration['ece']:.3f}" in (
        results.summary.text()
    )
    view = results.calibration_view
    assert BEFORE in view.bars
    assert view.calibrate_button.isEnabled()
    assert results.bottom_tabs.tabText(1) == "Calibration"
    results.show_run(None, None)
    assert not view.bars
    assert not view.calibrate_button.isEnabled()
