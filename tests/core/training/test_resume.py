"""Resume, failure and Stop as a script sees them: from the run folder alone."""

from __future__ import annotations

import csv
import json
import shutil
import threading

import keras
import numpy as np
import pytest

from core.data.load import open_dataset
from core.data.spec import DatasetSpec
from core.errors import WorkbenchError
from core.runs import RunStore
from core.spec import HeadSpec, ModelSpec
from core.training.config import TrainingConfig
from core.training.events import NullListener
from core.training.session import run_session
from tests.tiny_model import tiny_spec

SHAPES = DatasetSpec(name="shapes", count=120)


def small_spec(classes: int, size: int = 64) -> ModelSpec:
    return tiny_spec(classes, size)


class StopIn(NullListener):
    """Sets ``cancel`` during epoch ``epoch`` (0-based); records finished epochs."""

    def __init__(self, cancel: threading.Event, epoch: int) -> None:
        self.cancel, self.epoch, self.epochs = cancel, epoch, []

    def on_batch_end(self, epoch, batch, logs):
        if epoch == self.epoch:
            self.cancel.set()

    def on_epoch_end(self, epoch, logs):
        self.epochs.append(epoch)


def stopped_run(tmp_path, data_spec=SHAPES, cfg=None, spec=None, stop_in=2):
    """A run with a run folder, stopped during epoch ``stop_in`` (0-based)."""
    data = open_dataset(data_spec)
    cancel = threading.Event()
    out = run_session(
        spec or small_spec(data.num_classes),
        dataset=data,
        cfg=cfg or TrainingConfig(epochs=4, batch_size=16),
        listener=StopIn(cancel, stop_in),
        cancel=cancel,
        store=RunStore(tmp_path / "runs"),
        data_spec=data_spec,
    )
    assert out.result.cancelled
    return out


def csv_epochs(run) -> list[int]:
    with open(run.path / "history.csv", newline="") as f:
        return [int(row["epoch"]) for row in csv.DictReader(f)]


def test_a_run_resumes_from_its_folder_alone_with_more_epochs(tmp_path):
    from core.training.resume import resume_session

    first = stopped_run(tmp_path)
    config = first.run.config()
    assert config["dataset"]["spec"] == SHAPES.to_dict()
    assert config["dataset"]["fingerprint"]["counts"]["test"] == [2] * 6
    recorder = StopIn(threading.Event(), -1)
    out = resume_session(first.run.path, epochs=5, listener=recorder)
    assert recorder.epochs == [2, 3, 4]
    assert out.result.epochs_run == 5
    assert csv_epochs(out.run) == [0, 1, 2, 3, 4]
    [resume] = out.run.record()["resumes"]
    assert resume["from_epoch"] == 2
    assert resume["changed"] == {"epochs": [4, 5]}
    assert resume["when"]
    assert out.run.config()["training"]["epochs"] == 5


def test_resume_uses_the_recorded_settings_and_refuses_others(tmp_path):
    from dataclasses import replace

    first = stopped_run(tmp_path)
    data = open_dataset(SHAPES)
    recorded = TrainingConfig(epochs=4, batch_size=16)
    with pytest.raises(WorkbenchError, match="batch_size"):
        run_session(
            small_spec(6),
            dataset=data,
            cfg=replace(recorded, batch_size=8),
            store=RunStore(tmp_path / "runs"),
            resume=first.run,
        )
    other = ModelSpec(small_spec(6).input, small_spec(6).layers[:1], HeadSpec(6))
    with pytest.raises(WorkbenchError, match="model"):
        run_session(other, dataset=data, cfg=recorded, resume=first.run)
    assert first.run.record()["stop_reason"] == "cancelled"  # untouched


def test_a_run_recorded_before_a_setting_existed_resumes_only_with_its_default(
    tmp_path,
):
    """A run's config.json from before a setting (here ``label_smoothing``)
    trained with its default: a resume that sets another value is refused,
    as for a setting the run recorded (before, the missing key let it pass)."""
    from dataclasses import replace

    first = stopped_run(tmp_path)
    config = first.run.config()
    del config["training"]["label_smoothing"]
    (first.run.path / "config.json").write_text(json.dumps(config), encoding="utf-8")
    data = open_dataset(SHAPES)
    recorded = TrainingConfig(epochs=4, batch_size=16)
    with pytest.raises(WorkbenchError, match=r"label_smoothing 0\.0, not 0\.1"):
        run_session(
            small_spec(6),
            dataset=data,
            cfg=replace(recorded, label_smoothing=0.1),
            store=RunStore(tmp_path / "runs"),
            resume=first.run,
        )
    out = run_session(
        small_spec(6),
        dataset=data,
        cfg=replace(recorded, epochs=3),
        store=RunStore(tmp_path / "runs"),
        resume=first.run,
    )
    assert out.result.epochs_run == 3


def test_resume_refuses_data_that_changed_and_says_what(tmp_path):
    from PIL import Image

    from core.training.resume import resume_session

    root = tmp_path / "data"
    rng = np.random.default_rng(0)
    for name in ("a", "b"):
        (root / name).mkdir(parents=True)
        for i in range(12):
            pixels = rng.integers(0, 255, (16, 16, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(root / name / f"{i}.png")
    folder = DatasetSpec(kind="folder", name="f", path=str(root), image_size=(16, 16))
    first = stopped_run(
        tmp_path,
        folder,
        TrainingConfig(epochs=3, batch_size=4),
        small_spec(2, size=16),
        stop_in=1,
    )
    (root / "b" / "0.png").unlink()
    with pytest.raises(WorkbenchError, match=r"class 'b'.*train.*now") as caught:
        resume_session(first.run.path)
    assert "changed since" in str(caught.value)
    assert first.run.record()["stop_reason"] == "cancelled"


def test_a_killed_runs_history_is_cut_back_to_its_backup(tmp_path):
    """Weights restored from the backup of epoch 1; the CSV had run on to 2."""
    from core.training.resume import resume_session

    saved = tmp_path / "backup-after-epoch-1"
    data = open_dataset(SHAPES)
    cancel = threading.Event()

    class KeepFirstBackup(StopIn):
        def on_epoch_end(self, epoch, logs):
            super().on_epoch_end(epoch, logs)

        def on_batch_end(self, epoch, batch, logs):
            super().on_batch_end(epoch, batch, logs)
            if epoch == 1 and batch == 0 and not saved.exists():
                shutil.copytree(run_dir[0] / "backup", saved)

    run_dir = []
    store = RunStore(tmp_path / "runs")
    original_create = store.create

    def create(label, config):
        run = original_create(label, config)
        run_dir.append(run.path)
        return run

    store.create = create
    first = run_session(
        small_spec(6),
        dataset=data,
        cfg=TrainingConfig(epochs=4, batch_size=16),
        listener=KeepFirstBackup(cancel, 2),
        cancel=cancel,
        store=store,
        data_spec=SHAPES,
    )
    run = first.run
    shutil.rmtree(run.path / "backup")
    shutil.copytree(saved, run.path / "backup")  # killed: backup one epoch behind
    (run.path / "run.json").unlink()
    assert csv_epochs(run) == [0, 1]
    recorder = StopIn(threading.Event(), -1)
    out = resume_session(run.path, listener=recorder)
    assert recorder.epochs == [1, 2, 3]
    assert csv_epochs(run) == [0, 1, 2, 3]
    history = out.run.record()["history"]
    assert len(history["loss"]) == 4
    assert history["loss"][0] == pytest.approx(first.result.history["loss"][0])
    assert out.run.record()["resumes"][0]["from_epoch"] == 1


@pytest.mark.parametrize("where", ["build_model", "train"])
def test_a_run_that_fails_leaves_a_record_that_says_why(tmp_path, monkeypatch, where):
    import core.training.session as session

    def broken(*args, **kwargs):
        raise RuntimeError(f"something broke in {where}")

    monkeypatch.setattr(session, where, broken)
    store = RunStore(tmp_path / "runs")
    data = open_dataset(SHAPES)
    with pytest.raises(WorkbenchError, match=f"something broke in {where}"):
        run_session(
            small_spec(6), dataset=data, cfg=TrainingConfig(epochs=1), store=store
        )
    [run] = store.list()
    record = run.record()
    assert record["stop_reason"] == "failed"
    assert f"something broke in {where}" in record["message"]


def test_a_failing_resume_keeps_the_history_it_had(tmp_path, monkeypatch):
    import core.training.session as session
    from core.training.resume import resume_session

    first = stopped_run(tmp_path)

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(session, "train", broken)
    with pytest.raises(WorkbenchError, match="disk on fire"):
        resume_session(first.run.path)
    record = first.run.record()
    assert record["stop_reason"] == "failed"
    assert record["history"]["loss"] == first.result.history["loss"]


def test_stop_skips_the_test_set_until_asked(tmp_path):
    from core.training.run_evaluation import evaluate_run

    first = stopped_run(tmp_path)
    assert first.evaluation is None
    assert not (first.run.path / "evaluation.json").exists()
    evaluation = evaluate_run(first.run)
    assert sum(map(sum, evaluation.confusion)) == 12
    # Beside the run's own figures (it has none: it stopped), never over them.
    assert not (first.run.path / "evaluation.json").exists()
    [written] = (first.run.path / "evaluations").glob("*.json")
    saved = json.loads(written.read_text())
    assert saved["accuracy"] == evaluation.accuracy
    # The Runs comparison shows it to 4 decimals (2675a62).
    assert first.run.summary_row()["test_accuracy"] == round(evaluation.accuracy, 4)


def test_a_killed_run_without_a_backup_is_refused_not_restarted(tmp_path):
    from core.training.resume import resume_session

    cfg = TrainingConfig(epochs=4, batch_size=16, backup_and_restore=False)
    first = stopped_run(tmp_path, cfg=cfg)
    (first.run.path / "run.json").unlink()  # killed before it saved a last model
    (first.run.path / "last.keras").unlink()
    with pytest.raises(WorkbenchError, match="weights are lost"):
        resume_session(first.run.path)
    assert csv_epochs(first.run) == [0, 1]  # nothing was cut or trained


def test_a_learning_rate_changed_on_resume_wins_over_the_backup(tmp_path):
    """BackupAndRestore restores the optimizer's old rate; the user's new one wins."""
    from core.training.resume import resume_session

    first = stopped_run(tmp_path)
    assert (first.run.path / "backup").is_dir()
    out = resume_session(first.run.path, epochs=4, learning_rate=0.0123)
    trained = keras.models.load_model(out.run.path / "last.keras")
    assert float(trained.optimizer.learning_rate.numpy()) == pytest.approx(0.0123)
    [resumed] = out.run.record()["resumes"]
    assert resumed["changed"]["learning_rate"] == [0.001, 0.0123]
