"""Files written by commit 683ab05 still open, list, evaluate, resume and export.

``corpus/`` (see README.md and MANIFEST.json) froze what users already had on
disk before the schemas changed. Each test works on a copy in a temporary
folder: the committed files are never modified. The core Python API does the
work; each command-line verb runs once as a real ``python -m core`` process.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

CORPUS = Path(__file__).resolve().parent / "corpus"
MANIFEST: dict[str, Any] = json.loads((CORPUS / "MANIFEST.json").read_text())
PROJECTS = sorted(MANIFEST["projects"])
RUNS: dict[str, dict[str, Any]] = MANIFEST["runs"]
EXPORTS: dict[str, dict[str, Any]] = MANIFEST["exports"]
WITH_MODEL = sorted(name for name, run in RUNS.items() if run["has_model"])
RESUMABLE = sorted(name for name, run in RUNS.items() if run["resumable"])
REPO = Path(__file__).resolve().parents[2]


def kind(name: str) -> str:
    """The run's kind, e.g. ``killed``; with its label where two share a kind."""
    label = name.split("-", 2)[2]
    what = RUNS[name]["kind"]
    return what if label in (what, "tiny") else f"{what}-{label}"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the corpus with the archived run folders unpacked into it."""
    root = tmp_path_factory.mktemp("compat") / "corpus"
    shutil.copytree(CORPUS, root)
    runs = root / "runs"
    for archive in sorted(runs.glob("*.tar.gz")):
        with tarfile.open(archive) as packed:
            packed.extractall(runs, filter="data")
        archive.unlink()
    return root


@pytest.fixture
def project_file(corpus: Path) -> Path:
    return corpus / "runs" / "tiny.cnnwb.json"


def run_copy(corpus: Path, name: str, where: Path) -> Path:
    """The run folder ``name`` copied under ``where``: a test may change it."""
    target = where / "tiny.runs" / name
    shutil.copytree(corpus / "runs" / "tiny.runs" / name, target)
    return target


def core_cli(*args: str | Path) -> subprocess.CompletedProcess:
    """``python -m core ARGS``; a traceback is never an acceptable answer."""
    done = subprocess.run(
        [sys.executable, "-m", "core", *map(str, args)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=600,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done


def images(count: int = 3) -> list[np.ndarray]:
    """Raw RGB images of another size than the models': the app resizes them."""
    rng = np.random.default_rng(0)
    return [rng.integers(0, 256, (48, 40, 3), dtype=np.uint8) for _ in range(count)]


def test_the_manifest_names_every_item():
    """An item added to the corpus without the manifest would go untested."""
    committed = {p.name for p in (CORPUS / "projects").iterdir()}
    assert committed == set(PROJECTS)
    folders = {p.name for p in (CORPUS / "runs" / "tiny.runs").iterdir()}
    archived = {n for n, r in RUNS.items() if r.get("archived")}
    assert folders | archived == set(RUNS)
    assert {"completed", "killed", "stopped", "failed", "diverged"} <= {
        r["kind"] for r in RUNS.values()
    }
    assert {"resumed", "two-phase"} <= {r["kind"] for r in RUNS.values()}


# -- project files ------------------------------------------------------------


@pytest.mark.parametrize("name", PROJECTS)
def test_every_preset_project_opens_and_summarizes(corpus: Path, name: str):
    from core.project import load_project
    from core.summary import summarize

    project = load_project(corpus / "projects" / name)
    assert project.name == MANIFEST["projects"][name]["preset"]
    summary = summarize(project.model)
    assert summary.total > 0
    assert summary.errors == []


@pytest.mark.parametrize("name", PROJECTS)
def test_every_preset_project_saves_again_unchanged(tmp_path: Path, name: str):
    """Opened and saved by today's code (File > Save), it reads back the same."""
    from core.project import load_project, save_project

    project = load_project(CORPUS / "projects" / name)
    again = save_project(project, tmp_path / name)
    assert load_project(again) == project


# -- run folders ---------------------------------------------------------------


def test_every_run_is_listed(project_file: Path):
    from core.runs import RunStore

    rows = {row["run"]: row for row in RunStore.beside(project_file).compare()}
    assert set(rows) == set(RUNS)
    for name in RUNS:
        recorded = project_file.parent / "tiny.runs" / name / "run.json"
        if recorded.is_file():  # not the killed run's: it never recorded its end
            epochs = json.loads(recorded.read_text())["epochs_run"]
            assert rows[name]["epochs_run"] == epochs, name


def test_the_runs_command_lists_every_run(project_file: Path):
    done = core_cli("runs", project_file, "--json")
    assert done.returncode == 0, done.stderr
    assert {row["run"] for row in json.loads(done.stdout)} == set(RUNS)


@pytest.mark.parametrize("name", sorted(RUNS), ids=kind)
def test_every_run_is_evaluated(corpus: Path, tmp_path: Path, name: str):
    """On its own recorded data; a run that kept no model says so in words."""
    from core.errors import WorkbenchError
    from core.training.run_evaluation import evaluate_run

    run = run_copy(corpus, name, tmp_path)
    if not RUNS[name]["has_model"]:
        with pytest.raises(WorkbenchError, match="no model"):
            evaluate_run(run)
        return
    evaluation = evaluate_run(run)
    assert 0.0 <= evaluation.accuracy <= 1.0
    assert len(evaluation.per_class) == 6


def test_the_evaluate_command_evaluates_a_killed_run(corpus: Path, tmp_path: Path):
    [killed] = [n for n in RUNS if RUNS[n]["kind"] == "killed"]
    done = core_cli("evaluate", run_copy(corpus, killed, tmp_path), "--json")
    assert done.returncode == 0, done.stderr
    assert 0.0 <= json.loads(done.stdout)["accuracy"] <= 1.0


def epochs_done(run: Path) -> int:
    from core.runs import Run

    return len(Run(run).history().get("loss", []))


@pytest.mark.parametrize("name", RESUMABLE, ids=kind)
def test_a_resumable_run_trains_one_more_epoch(corpus: Path, tmp_path: Path, name: str):
    from core.training.resume import resume_session

    run = run_copy(corpus, name, tmp_path)
    done = epochs_done(run)
    out = resume_session(run, epochs=done + 1)
    assert out.result.stop_reason.value == "completed"
    assert out.result.epochs_run == done + 1
    assert len(out.run.record()["history"]["loss"]) == done + 1
    assert (run / "last.keras").is_file()


def test_the_train_command_resumes_a_stopped_run(corpus: Path, tmp_path: Path):
    [stopped] = [n for n in RUNS if RUNS[n]["kind"] == "stopped"]
    run = run_copy(corpus, stopped, tmp_path)
    done = epochs_done(run)
    result = core_cli("train", "--resume", run, "--epochs", str(done + 1))
    assert result.returncode == 0, result.stderr
    assert epochs_done(run) == done + 1


@pytest.mark.parametrize("name", WITH_MODEL, ids=kind)
def test_every_run_with_a_model_exports_a_keras_file(
    corpus: Path, tmp_path: Path, name: str
):
    """Its kept model, exported as the Export dialog does, loads in plain Keras."""
    import keras

    from core.inference.export_formats import ExportSource, export
    from core.model_files.loading import load_model_file, stored_class_names
    from core.runs import Run

    found = Run(run_copy(corpus, name, tmp_path)).kept_model()
    assert found is not None
    model_file, classes = found
    out = export(
        ExportSource(load_model_file(model_file), classes),
        tmp_path / "model.keras",
        "keras",
    ).path
    loaded = keras.models.load_model(out)
    assert loaded.outputs[0].shape[-1] == 6
    assert stored_class_names(loaded, out) == classes
    probabilities = loaded.predict(np.stack(images()).astype("float32"), verbose=0)
    assert np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-4)


def test_the_export_command_exports_a_run(corpus: Path, tmp_path: Path):
    import keras

    [completed] = [n for n in RUNS if RUNS[n]["kind"] == "completed"]
    out = tmp_path / "out.keras"
    done = core_cli("export", run_copy(corpus, completed, tmp_path), out)
    assert done.returncode == 0, done.stderr
    assert keras.models.load_model(out).outputs[0].shape[-1] == 6


# -- exported models -----------------------------------------------------------


@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_every_exported_model_loads_and_predicts(corpus: Path, name: str):
    """With the app's loader and predict: class names inside, beside, or none."""
    import keras

    from core.inference.predict import predict
    from core.model_files.class_names import generic_class_names
    from core.model_files.loading import load_model_file, stored_class_names

    path = corpus / "exports" / name
    model = load_model_file(path)
    recorded = EXPORTS[name]["class_names"]
    assert stored_class_names(model, path) == recorded
    names = recorded or generic_class_names(model)
    results = predict(model, images(), names, top_k=3)
    assert len(results) == 3
    for ranked in results:
        assert len(ranked) == 3
        assert {n for n, _ in ranked} <= set(names)
        assert all(0.0 <= p <= 1.0 for _, p in ranked)
    assert keras.models.load_model(path).outputs[0].shape[-1] == len(names)


def test_the_predict_command_reads_the_sidecar(corpus: Path, tmp_path: Path):
    from PIL import Image

    image = tmp_path / "shape.png"
    Image.fromarray(images(1)[0]).save(image)
    done = core_cli("predict", corpus / "exports" / "shapes-sidecar.keras", image)
    assert done.returncode == 0, done.stderr
    classes = EXPORTS["shapes-sidecar.keras"]["class_names"]
    assert any(c in done.stdout for c in classes), done.stdout
