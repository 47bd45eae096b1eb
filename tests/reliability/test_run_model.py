"""One run, one model: what a run shows, records, evaluates and exports is its model.

With a best checkpoint kept, the run's model is ``best.keras`` (``core.run_model``):
its test figures are the best model's, the record says which model each figure
belongs to, ``evaluate RUN`` writes beside the run's figures instead of over
them, and ``last.keras`` is only ever offered as "final weights". Older runs'
figures of the final weights are shown labelled as such, not re-scored. A run
record with wrong types, or a damaged run folder, ends in one line (or one
marked row), never a traceback.

The shared run trains a tiny model on 120 shapes for 3 epochs: its validation
accuracy stays at chance, so the best checkpoint keeps epoch 1 while training
goes on, and the best and final weights differ (their test losses tell them
apart).
"""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path

import keras
import pytest

from core.cli import main
from core.data.load import open_dataset
from core.data.spec import DatasetSpec
from core.model_files.loading import load_model_file
from core.runs import RunStore
from core.training.config import TrainingConfig
from core.training.events import StopReason
from core.training.session import evaluate_test_split, run_session
from tests.core.training.test_session import small_spec

SHAPES = DatasetSpec(name="shapes", count=120)


@pytest.fixture(scope="module")
def data():
    return open_dataset(SHAPES)


@pytest.fixture(scope="module")
def trained(tmp_path_factory, data):
    """A finished Adam run whose best epoch (1) is not its last (3)."""
    keras.utils.set_random_seed(0)
    store = RunStore(tmp_path_factory.mktemp("project") / "tiny.runs")
    cfg = TrainingConfig(epochs=3, batch_size=16, early_stopping=False)
    out = run_session(
        small_spec(6),
        dataset=data,
        cfg=cfg,
        store=store,
        label="tiny",
        data_spec=SHAPES,
    )
    assert out.result.best_epoch is not None
    assert out.result.best_epoch < out.result.epochs_run - 1  # best is not last
    return out


def _test_loss(path: Path, data) -> float:
    evaluation, _ = evaluate_test_split(load_model_file(path), data, 16)
    return evaluation.loss


def test_the_test_figures_are_the_best_models_not_the_final_weights(trained, data):
    best = _test_loss(trained.run.path / "best.keras", data)
    final = _test_loss(trained.run.path / "last.keras", data)
    assert abs(best - final) > 1e-4  # two different models
    assert trained.evaluation.loss == pytest.approx(best, abs=1e-5)
    assert trained.run.evaluation()["loss"] == pytest.approx(best, abs=1e-5)
    # The model the session hands on (the Prediction page's "last run") is it too.
    weights = load_model_file(trained.run.path / "best.keras").get_weights()
    for mine, kept in zip(trained.model.get_weights(), weights, strict=True):
        assert (mine == kept).all()


def test_the_record_says_which_model_each_figure_belongs_to(trained):
    run = trained.run
    record = json.loads((run.path / "run.json").read_text())
    assert record["model"] == "best"
    assert record["version"] == 2
    assert run.evaluation()["model"] == "best"
    assert run.evaluation_model() == "best"
    [row] = RunStore(run.path.parent).compare()
    assert row["tested_model"] == "best model"
    # The comparison shows 4 decimals, as the validation figures (2675a62).
    assert row["test_accuracy"] == round(run.evaluation()["accuracy"], 4)


def test_evaluate_run_writes_beside_the_runs_figures_never_over_them(
    trained, tmp_path, capsys
):
    run_dir = tmp_path / trained.run.name
    shutil.copytree(trained.run.path, run_dir)
    before = (run_dir / "evaluation.json").read_bytes()
    assert main(["evaluate", str(run_dir)]) == 0
    out = capsys.readouterr().out
    assert "best model (best.keras)" in out
    assert (run_dir / "evaluation.json").read_bytes() == before
    [written] = (run_dir / "evaluations").glob("*.json")
    figures = json.loads(written.read_text())
    assert figures["model"] == "best"
    assert figures["model_file"] == "best.keras"
    assert figures["evaluated"]
    assert figures["loss"] == pytest.approx(trained.evaluation.loss, abs=1e-5)


def test_an_exported_adam_run_loads_in_plain_keras_without_a_foreign_optimizer(
    trained, tmp_path
):
    from core.inference.export import export_keras

    path = export_keras(trained.model, tmp_path / "model.keras", ["a"] * 6)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loaded = keras.models.load_model(path)
    said = [str(w.message) for w in caught]
    assert not [s for s in said if "Skipping variable loading for optimizer" in s]
    inner = [layer for layer in loaded.layers if isinstance(layer, keras.Model)]
    for model in [loaded, *inner]:
        optimizer = getattr(model, "optimizer", None)
        assert optimizer is None or isinstance(optimizer, keras.optimizers.Adam)


def _old_run(folder: Path, evaluation: dict, record: dict) -> Path:
    """A run folder as versions before the run-model rule wrote it."""
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps({"started": "2026-12-01"}))
    (folder / "run.json").write_text(json.dumps(record))
    (folder / "evaluation.json").write_text(json.dumps(evaluation))
    (folder / "best.keras").write_bytes(b"not opened")
    (folder / "last.keras").write_bytes(b"not opened")
    return folder


def test_an_old_runs_final_weight_figures_open_labelled_not_rescored(tmp_path):
    store = RunStore(tmp_path / "old.runs")
    history = {"loss": [1.0, 0.9], "val_loss": [0.7, 0.8], "val_accuracy": [0.5, 0.4]}
    record = {"epochs_run": 2, "stop_reason": "completed", "best_epoch": 0}
    record["history"] = history
    _old_run(store.root / "20261201-000000-old", {"accuracy": 0.2}, record)
    [row] = store.compare()
    assert row["test_accuracy"] == 0.2
    assert row["tested_model"] == "final weights"
    assert row["val_accuracy"] == 0.5  # the best epoch's, beside a labelled test


def test_wrong_types_in_run_json_mark_that_run_and_list_the_others(tmp_path, capsys):
    project = tmp_path / "p.cnnwb.json"
    project.write_text("{}")
    store = RunStore.beside(project)
    good = {"epochs_run": 1, "stop_reason": "completed", "history": {"loss": [1.0]}}
    _old_run(store.root / "20261201-000000-good", {"accuracy": 0.5}, good)
    bad = {"epochs_run": "many", "history": [1, 2]}
    _old_run(store.root / "20261201-000001-bad", {"accuracy": 0.5}, bad)
    torn = _old_run(store.root / "20261201-000002-torn", {"accuracy": 0.5}, good)
    (torn / "config.json").write_text("{not json")
    assert main(["runs", str(project)]) == 0
    out = capsys.readouterr().out
    assert "20261201-000000-good" in out
    assert "damaged" in out.split("20261201-000001-bad")[1].splitlines()[0]
    assert "'epochs_run' should be a count of epochs" in out
    assert "20261201-000002-torn" in out
    assert main(["runs", str(project), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["stop_reason"] for r in rows] == ["completed", "damaged", "damaged"]


def test_resuming_a_run_with_wrong_types_in_run_json_ends_in_one_line(
    trained, tmp_path, capsys
):
    run_dir = tmp_path / trained.run.name
    shutil.copytree(trained.run.path, run_dir)
    wrong = {"epochs_run": "many", "history": [1, 2]}
    (run_dir / "run.json").write_text(json.dumps(wrong))
    assert main(["train", "--resume", str(run_dir), "--epochs", "4"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("error: ")
    assert "run.json is damaged" in err[0]


def test_a_run_that_diverged_in_its_first_epoch_records_no_test_figures(
    tmp_path, data, monkeypatch
):
    from core.training.callbacks import ListenerCallback

    real = ListenerCallback.on_train_batch_end

    def weights_turn_nan(self, batch, logs=None):  # what a too-high rate does
        real(self, batch, logs)
        if batch == 0:
            for w in self.model.trainable_weights:
                w.assign(w * float("nan"))

    monkeypatch.setattr(ListenerCallback, "on_train_batch_end", weights_turn_nan)
    store = RunStore(tmp_path / "runs")
    cfg = TrainingConfig(epochs=2, batch_size=16)
    out = run_session(small_spec(6), dataset=data, cfg=cfg, store=store)
    assert out.result.stop_reason is StopReason.DIVERGED
    assert out.evaluation is None
    assert out.model is None
    run = out.run
    assert not (run.path / "evaluation.json").exists()
    for path in run.path.rglob("*.json"):
        _strict_json(path.read_text())
    [row] = store.compare()
    assert row["test_accuracy"] is None
    assert run.record()["model"] is None


def test_no_nan_literal_lands_in_run_json(tmp_path):
    store = RunStore(tmp_path / "runs")
    run = store.create("x", {})
    history = {"loss": [1.0, float("nan")], "val_loss": [float("inf"), 1.0]}
    store.finish(run, {"epochs_run": 2, "stop_reason": "diverged", "history": history})
    _strict_json((run.path / "run.json").read_text())
    assert run.record()["history"]["loss"][0] == 1.0


def _strict_json(text: str) -> object:
    """JSON as the standard has it: NaN and Infinity are not JSON."""

    def refuse(literal: str) -> None:
        raise AssertionError(f"{literal} is not JSON")

    return json.loads(text, parse_constant=refuse)


CORPUS = Path(__file__).resolve().parents[1] / "compat" / "corpus"


@pytest.fixture
def old_runs(tmp_path) -> RunStore:
    """The compatibility corpus's runs (made by 683ab05), copied."""
    shutil.copytree(CORPUS / "runs" / "tiny.runs", tmp_path / "tiny.runs")
    return RunStore(tmp_path / "tiny.runs")


def test_the_corpus_runs_open_with_the_figures_of_the_model_they_belong_to(
    old_runs,
):
    manifest = json.loads((CORPUS / "MANIFEST.json").read_text())["runs"]
    rows = {row["run"]: row for row in old_runs.compare()}
    for name, row in rows.items():
        kind = manifest[name]["kind"]
        assert row["stop_reason"] != "damaged", (kind, row)
        folder = old_runs.root / name
        recorded = folder / "evaluation.json"
        if kind == "diverged":  # it tested NaN weights: no model, no figures
            assert row["test_accuracy"] is None
            assert row["tested_model"] is None
        elif recorded.is_file():  # tested in memory, i.e. its final weights
            assert row["tested_model"] == "final weights", kind
            figures = json.loads(recorded.read_text())
            assert row["test_accuracy"] == round(figures["accuracy"], 4)
        else:
            assert row["test_accuracy"] is None, kind
    assert {manifest[n]["kind"] for n in rows} >= {"completed", "resumed"}


def test_predict_takes_a_run_folder_as_the_runs_model(trained, tmp_path, capsys):
    from PIL import Image

    image = tmp_path / "square.png"
    Image.new("RGB", (32, 32), (200, 40, 40)).save(image)
    assert main(["predict", str(trained.run.path / "best.keras"), str(image)]) == 0
    by_file = capsys.readouterr().out
    assert main(["predict", str(trained.run.path), str(image)]) == 0
    assert capsys.readouterr().out == by_file


def test_every_corpus_run_record_reads_typed_and_round_trips(old_runs):
    from core.run_record import RunRecord

    records = sorted(old_runs.root.glob("*/run.json"))
    assert len(records) >= 5
    for path in records:
        typed = RunRecord.from_dict(json.loads(path.read_text()), str(path))
        assert typed.version == 1  # written before versions
        again = RunRecord.from_dict(typed.to_dict())
        assert _strict_json(json.dumps(again.to_dict())) == typed.to_dict()
