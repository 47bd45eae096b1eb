"""run_session: spec + data + settings in, trained model, evaluation and run out."""

from __future__ import annotations

import keras
import numpy as np

from core.augmentation.config import AugmentationConfig
from core.data.load import open_dataset
from core.data.spec import DatasetSpec
from core.runs import RunStore
from core.spec import HeadSpec, InputSpec, LayerSpec, ModelSpec
from core.training.config import TrainingConfig
from core.training.session import run_session


def small_spec(classes: int) -> ModelSpec:
    return ModelSpec(
        InputSpec(32, 32, 3),
        (
            LayerSpec.create("Rescaling", "rescaling_1"),
            LayerSpec.create("Conv2D", "conv2d_1", {"filters": 8, "strides": 2}),
            LayerSpec.create("GlobalAveragePooling2D", "gap_1"),
        ),
        HeadSpec(classes),
    )


def test_session_records_a_run_and_evaluates(tmp_path):
    keras.utils.set_random_seed(0)
    data = open_dataset(DatasetSpec(name="shapes", count=120))
    store = RunStore(tmp_path / "runs")
    cfg = TrainingConfig(epochs=2, batch_size=16)
    out = run_session(
        small_spec(6),
        dataset=data,
        cfg=cfg,
        augmentation=AugmentationConfig(flip="horizontal"),
        store=store,
        label="tiny",
    )
    assert out.result.epochs_run == 2
    assert out.evaluation is not None
    assert np.array(out.evaluation.confusion).sum() == len(data.splits["test"])
    [run] = store.list()
    assert run.record()["epochs_run"] == 2
    assert run.evaluation()["top_k"] == 3
    loaded = keras.models.load_model(run.path / "best.keras")
    assert loaded is not None
    from core.model_files.class_names import read_class_names

    assert read_class_names(run.path / "best.keras") == data.class_names
    assert read_class_names(run.path / "last.keras") == data.class_names


def test_mixup_with_a_sigmoid_head_trains(tmp_path):
    data = open_dataset(DatasetSpec(name="shapes", count=60))
    # Keep two classes: circle and square.
    for split in data.splits.values():
        keep = np.nonzero(split.labels < 2)[0]
        split.labels, split.images = split.labels[keep], split.images[keep]
    data.class_names = data.class_names[:2]
    out = run_session(
        small_spec(2),
        dataset=data,
        cfg=TrainingConfig(epochs=1, batch_size=8, checkpoint=False),
        augmentation=AugmentationConfig(mixup=0.4, placement="model"),
    )
    assert out.result.epochs_run == 1
    assert out.model.output_shape == (None, 1)


def test_resume_continues_a_stopped_run_and_keeps_its_history(tmp_path):
    import threading

    from core.training.events import NullListener

    data = open_dataset(DatasetSpec(name="shapes", count=120))
    store = RunStore(tmp_path / "runs")
    cancel = threading.Event()

    class StopInThirdEpoch(NullListener):
        def on_batch_end(self, epoch, batch, logs):
            if epoch == 2:
                cancel.set()

    cfg = TrainingConfig(epochs=4, batch_size=16)
    first = run_session(
        small_spec(6),
        dataset=data,
        cfg=cfg,
        listener=StopInThirdEpoch(),
        cancel=cancel,
        store=store,
    )
    assert first.result.cancelled
    assert first.result.epochs_run == 2
    resumed = run_session(
        small_spec(6), dataset=data, cfg=cfg, store=store, resume=first.run
    )
    assert resumed.result.stop_reason.value == "completed"
    assert resumed.result.epochs_run == 4
    assert len(resumed.result.history["val_loss"]) == 4
    assert resumed.run.record()["epochs_run"] == 4
    assert len(store.list()) == 1
    # the history CSV is appended to, not restarted: a header and 4 epochs
    assert (first.run.path / "history.csv").read_text().count("\n") == 5


def stopped_then_resumed(tmp_path, cfg: TrainingConfig, between=None):
    """Train ``cfg``, stop during epoch 3, call ``between(first)``, then resume.

    Returns the first and resumed session results and the epochs the resumed
    run trained.
    """
    import threading

    from core.training.events import NullListener

    data = open_dataset(DatasetSpec(name="shapes", count=120))
    store = RunStore(tmp_path / "runs")
    cancel = threading.Event()
    epochs_seen = []

    class Recorder(NullListener):
        def on_batch_end(self, epoch, batch, logs):
            if epoch == 2:
                cancel.set()

        def on_epoch_end(self, epoch, logs):
            epochs_seen.append(epoch)

    first = run_session(
        small_spec(6),
        dataset=data,
        cfg=cfg,
        listener=Recorder(),
        cancel=cancel,
        store=store,
    )
    assert first.result.epochs_run == 2
    if between is not None:
        between(first)
    cancel.clear()
    epochs_seen.clear()
    resumed = run_session(
        small_spec(6),
        dataset=data,
        cfg=cfg,
        listener=Recorder(),
        store=store,
        resume=first.run,
    )
    return first, resumed, epochs_seen


def test_resume_without_a_backup_continues_from_the_last_model(tmp_path):
    cfg = TrainingConfig(epochs=4, batch_size=16, backup_and_restore=False)
    _, resumed, epochs_seen = stopped_then_resumed(tmp_path, cfg)
    assert epochs_seen == [2, 3]  # the remaining epochs, not 4 more from scratch
    assert resumed.result.epochs_run == 4
    assert len(resumed.result.history["loss"]) == 4
    # it went on from the trained weights: the loss does not jump back up
    history = resumed.result.history["loss"]
    assert history[2] < history[0]


def _folder(root, classes=("a", "b"), per_class=12, size=16):
    from PIL import Image

    rng = np.random.default_rng(0)
    for name in classes:
        (root / name).mkdir(parents=True)
        for i in range(per_class):
            pixels = rng.integers(0, 255, (size, size, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(root / name / f"{i}.png")
    return root


def test_a_folder_dataset_reports_its_steps_and_decays_over_the_whole_run(tmp_path):
    from core.training.events import NullListener

    data = open_dataset(
        DatasetSpec(
            kind="folder",
            name="f",
            path=str(_folder(tmp_path / "data")),
            image_size=(16, 16),
        )
    )
    n_train = len(data.splits["train"])
    began = []

    class Begin(NullListener):
        def on_train_begin(self, total_epochs, steps_per_epoch):
            began.append(steps_per_epoch)

    cfg = TrainingConfig(epochs=2, batch_size=4, schedule="cosine", checkpoint=False)
    spec = ModelSpec(InputSpec(16, 16, 3), small_spec(2).layers, HeadSpec(2))
    out = run_session(spec, dataset=data, cfg=cfg, listener=Begin())
    steps = -(-n_train // 4)
    # ignore_errors makes the cardinality unknown; the session counts the batches
    assert began == [steps]
    # no run folder: the session returns the model it compiled and trained
    assert out.model.optimizer._learning_rate.decay_steps == 2 * steps
    assert out.result.epochs_run == 2


def test_a_file_only_tensorflow_fails_to_decode_is_skipped_and_reported(tmp_path):
    import io

    from PIL import Image

    root = tmp_path / "data"
    _folder(root / "train", per_class=8)
    _folder(root / "test", per_class=3)
    buffer = io.BytesIO()
    noise = np.random.default_rng(1).integers(0, 255, (16, 16, 3), dtype=np.uint8)
    Image.fromarray(noise).save(buffer, format="PNG")
    truncated = buffer.getvalue()[: len(buffer.getvalue()) // 2]
    for split in ("train", "test"):  # the header scan accepts it; decoding fails
        (root / split / "a" / "broken.png").write_bytes(truncated)
    data = open_dataset(
        DatasetSpec(kind="folder", name="f", path=str(root), image_size=(16, 16))
    )
    test_paths = data.splits["test"].paths
    broken_test = next(i for i, p in enumerate(test_paths) if "broken" in p)
    assert not data.report.skipped
    store = RunStore(tmp_path / "runs")
    spec = ModelSpec(InputSpec(16, 16, 3), small_spec(2).layers, HeadSpec(2))
    cfg = TrainingConfig(epochs=1, batch_size=4)
    out = run_session(spec, dataset=data, cfg=cfg, store=store)
    assert out.result.epochs_run == 1  # not fatal
    assert not data.report.skipped  # the worker returns them, the owner merges
    skipped = sorted(p for p, _ in out.skipped)
    assert skipped == sorted(
        str(root / s / "a" / "broken.png") for s in ("train", "test")
    )
    assert "2 images could not be decoded and were skipped" in out.result.message
    assert "broken.png" in out.result.message
    assert len(out.run.record()["skipped_images"]) == 2
    # the evaluation's indices are the test split's, the broken one left out
    evaluation = out.evaluation
    assert len(evaluation.predicted) == len(test_paths)
    assert evaluation.predicted[broken_test] == -1
    assert sum(map(sum, evaluation.confusion)) == len(test_paths) - 1
    assert all(m[0] != broken_test for m in evaluation.misclassified)


def test_a_killed_run_resumes_from_its_backup_with_its_csv_history(tmp_path):
    def kill(first):
        (first.run.path / "run.json").unlink()  # killed: it never recorded its end
        assert first.run.history()["loss"] == first.result.history["loss"]

    cfg = TrainingConfig(epochs=4, batch_size=16)
    first, resumed, epochs_seen = stopped_then_resumed(tmp_path, cfg, kill)
    assert epochs_seen == [2, 3]
    assert resumed.result.epochs_run == 4
    assert resumed.run.record()["history"]["loss"][:2] == first.result.history["loss"]
    assert (first.run.path / "history.csv").read_text().count("\n") == 5


def test_mixup_trains_with_categorical_loss_and_class_weights(monkeypatch):
    import core.training.session as session

    seen = {}
    original = session.train

    def spy(model, *args, **kwargs):
        seen["loss"] = model.loss
        seen["class_weight"] = kwargs.get("class_weight")
        return original(model, *args, **kwargs)

    monkeypatch.setattr(session, "train", spy)
    data = open_dataset(DatasetSpec(name="shapes", count=60))
    cfg = TrainingConfig(epochs=1, batch_size=8, checkpoint=False, class_weights=True)
    out = run_session(
        small_spec(6),
        dataset=data,
        cfg=cfg,
        augmentation=AugmentationConfig(cutmix=0.5),
    )
    assert out.result.epochs_run == 1
    assert seen["loss"] == "categorical_crossentropy"
    assert sorted(seen["class_weight"]) == list(range(6))
