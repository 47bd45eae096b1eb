"""A run's model loads off the GUI thread (#25: never a frozen window).

The Runs tab's Open and a reopened project's newest run read a .keras file,
which imports TensorFlow: seconds, minutes under load. The window stays
responsive meanwhile, the status bar says whose model is loading, and the
Prediction page gets it when it arrives; a later request wins over an earlier
one still loading, and an unreadable file is a status message.

``load_model_file`` is replaced by a fake that blocks until the test lets it
finish, so "the GUI thread returned first" is checked without sleeping.
"""

from __future__ import annotations

import json
import threading

import pytest

from core.errors import WorkbenchError
from core.training.config import TrainingConfig
from tests.core.inference.test_gradcam import app_model

NAMES = ["circle", "square", "star"]


@pytest.fixture
def slow_load(monkeypatch):
    """``load_model_file`` that waits for its path's Event; the loaded paths."""
    from core import run_calibration
    from core.model_files import class_names, loading

    gates: dict[str, threading.Event] = {}
    models: dict[str, object] = {}
    loaded: list[str] = []

    def load(path):
        path = str(path)
        gates.setdefault(path, threading.Event()).wait(timeout=3)
        loaded.append(path)
        if path not in models:
            raise WorkbenchError(f"{path} is not a Keras model file")
        return models[path]

    monkeypatch.setattr(loading, "load_model_file", load)
    monkeypatch.setattr(class_names, "read_class_names", lambda path: NAMES)
    monkeypatch.setattr(run_calibration, "file_temperature", lambda path: None)

    def gate(path) -> threading.Event:
        return gates.setdefault(str(path), threading.Event())

    def model_at(path):
        models[str(path)] = app_model(3)
        return models[str(path)]

    return gate, model_at, loaded


def test_the_window_answers_while_a_runs_model_loads(
    window, qtbot, tmp_path, slow_load
):
    gate, model_at, loaded = slow_load
    window.ensure_data_page()
    path = tmp_path / "run-1" / "best.keras"
    model = model_at(path)
    path.parent.mkdir()
    training = TrainingConfig(tta="flip").to_dict()
    (path.parent / "config.json").write_text(json.dumps({"training": training}))
    window.open_run_model(path)
    assert loaded == []  # the GUI thread returned before the load finished
    assert "Loading run-1's model" in window.statusBar().currentMessage()
    assert window.prediction_page.model is None
    gate(path).set()
    qtbot.waitUntil(lambda: window.prediction_page.model is model, timeout=10_000)
    assert "run-1 · best model" in window.prediction_page.model_label.text()
    # it predicts with the views its run's test figures averaged
    assert window.prediction_page.tta_combo.currentData() == "flip"


def test_a_later_request_wins_over_one_still_loading(
    window, qtbot, tmp_path, slow_load
):
    gate, model_at, loaded = slow_load
    window.ensure_data_page()
    first, second = tmp_path / "a" / "best.keras", tmp_path / "b" / "best.keras"
    model_at(first)
    wanted = model_at(second)
    window.open_run_model(first)
    window.open_run_model(second)
    gate(second).set()
    qtbot.waitUntil(lambda: window.prediction_page.model is wanted, timeout=10_000)
    gate(first).set()
    qtbot.waitUntil(lambda: str(first) in loaded, timeout=10_000)
    qtbot.waitUntil(lambda: not window.run_model_loading(), timeout=10_000)
    assert window.prediction_page.model is wanted
    assert "b · best model" in window.prediction_page.model_label.text()


def test_a_new_project_drops_the_model_still_loading(
    window, qtbot, tmp_path, slow_load
):
    gate, model_at, loaded = slow_load
    window.ensure_data_page()
    path = tmp_path / "run-1" / "best.keras"
    model_at(path)
    window.open_run_model(path)
    window.new_project()
    gate(path).set()
    qtbot.waitUntil(lambda: str(path) in loaded, timeout=10_000)
    qtbot.waitUntil(lambda: not window.run_model_loading(), timeout=10_000)
    assert window.prediction_page.model is None


def test_an_unreadable_run_model_is_a_status_message(
    window, qtbot, tmp_path, slow_load
):
    gate, _model_at, _loaded = slow_load
    window.ensure_data_page()
    path = tmp_path / "run-1" / "best.keras"
    gate(path).set()
    window.open_run_model(path)
    qtbot.waitUntil(
        lambda: "not a Keras model file" in window.statusBar().currentMessage(),
        timeout=10_000,
    )
    assert window.statusBar().currentMessage().startswith("run-1: ")
    assert window.prediction_page.model is None
