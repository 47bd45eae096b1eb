"""Transfer learning's two phases in one run: what trains when, and what is reported.

MobileNetV2 (``weights="none"``) because it has BatchNormalization layers, on a
few random 32x32 images, one epoch per phase.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from core.backbone_builder import apply_freeze, backbone_layer_names
from core.model_builder import build_model
from core.spec import HeadSpec, InputSpec, LayerSpec, ModelSpec
from core.training.config import TrainingConfig
from core.training.engine import train
from core.training.events import NullListener

UNFREEZE_FROM = "block_16_expand"


def spec() -> ModelSpec:
    return ModelSpec(
        InputSpec(32, 32, 3),
        (
            LayerSpec.create(
                "Backbone",
                "mobilenet",
                {"architecture": "MobileNetV2", "weights": "none", "freeze": "all"},
            ),
            LayerSpec.create("GlobalAveragePooling2D", "gap_1"),
            LayerSpec.create("Dense", "dense_1", {"units": 8, "activation": "linear"}),
        ),
        HeadSpec(2, "softmax"),
    )


def data() -> tf.data.Dataset:
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 255, (16, 32, 32, 3)).astype("float32")
    y = np.array([0] * 11 + [1] * 5)  # unbalanced: the bias gradient is not 0
    return tf.data.Dataset.from_tensor_slices((x, y)).batch(8)


class Recorder(NullListener):
    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def on_train_begin(self, total_epochs: int, steps_per_epoch: int) -> None:
        self.calls.append(("begin", total_epochs))

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        self.calls.append(("epoch", epoch))

    def on_phase_begin(self, phase: int, epoch: int) -> None:
        self.calls.append(("phase", phase, epoch))


def snapshot(model: keras.Model) -> dict[str, list[np.ndarray]]:
    return {
        layer.name: [w.numpy().copy() for w in layer.weights]
        for layer in model.layers
        if layer.weights
    }


def changed(before: dict, after: dict) -> set[str]:
    return {
        name
        for name, weights in before.items()
        if any(
            not np.array_equal(a, b) for a, b in zip(weights, after[name], strict=True)
        )
    }


@pytest.fixture(scope="module")
def cfg() -> TrainingConfig:
    return TrainingConfig(
        epochs=1,
        batch_size=8,
        checkpoint=False,
        learning_rate=0.01,
        fine_tune=True,
        fine_tune_epochs=1,
        fine_tune_lr_factor=0.1,
        fine_tune_from=UNFREEZE_FROM,
    )


def test_phase_one_trains_only_the_head_and_phase_two_only_the_unfrozen_layers(cfg):
    keras.utils.set_random_seed(0)
    s = spec()
    model = build_model(s)
    backbone = backbone_layer_names(model, s)
    head = {"dense_1", "classifier"}
    start = snapshot(model)
    phase_one = TrainingConfig(**{**cfg.to_dict(), "fine_tune": False})
    result = train(model, data(), None, phase_one)
    assert result.phase_boundary is None
    after_one = snapshot(model)
    assert changed(start, after_one) == head
    assert model.optimizer.learning_rate.numpy() == pytest.approx(0.01)

    unfrozen = apply_freeze(model, s, cfg.fine_tune_options())
    expected = {"block_16_expand", "block_16_depthwise", "block_16_project", "Conv_1"}
    assert {n for n in unfrozen if model.get_layer(n).weights} == expected
    assert unfrozen[0] == UNFREEZE_FROM
    model2 = build_model(s)
    model2.set_weights(model.get_weights())
    recorder = Recorder()
    keras.utils.set_random_seed(0)
    result = train(
        model2,
        data(),
        None,
        cfg,
        recorder,
        unfreeze=lambda: apply_freeze(model2, s, cfg.fine_tune_options()),
    )
    after_two = snapshot(model2)
    moved = changed(start, after_two)
    # Phase 1 of this run moved the head; phase 2 the head and the unfrozen
    # layers; nothing else, and no BatchNormalization statistics.
    assert moved == head | expected
    assert not any("BN" in n or n.endswith("_bn") for n in moved)
    assert set(backbone) & moved == expected
    assert result.phase_boundary == 1
    assert result.epochs_run == 2
    assert recorder.calls == [
        ("phase", 1, 0),
        ("begin", 2),
        ("epoch", 0),
        ("phase", 2, 1),
        ("epoch", 1),
    ]
    assert model2.optimizer.learning_rate.numpy() == pytest.approx(0.001)


def test_two_phases_through_a_session_record_the_boundary(tmp_path, cfg):
    from core.data.load import open_dataset
    from core.data.spec import DatasetSpec
    from core.runs import RunStore
    from core.training.session import run_session

    keras.utils.set_random_seed(0)
    dataset = open_dataset(DatasetSpec(name="shapes", count=24))
    s = ModelSpec(spec().input, spec().layers, HeadSpec(dataset.num_classes))
    store = RunStore(tmp_path / "runs")
    out = run_session(s, dataset=dataset, cfg=cfg, store=store, label="transfer")
    assert out.result.epochs_run == 2
    [run] = store.list()
    assert run.record()["phase_boundary"] == 1
    assert len(run.record()["history"]["loss"]) == 2


def test_cancel_in_phase_one_skips_phase_two(cfg):
    import threading

    s = spec()
    model = build_model(s)
    cancel = threading.Event()
    cancel.set()
    result = train(
        model,
        data(),
        None,
        cfg,
        cancel=cancel,
        unfreeze=lambda: apply_freeze(model, s, cfg.fine_tune_options()),
    )
    assert result.cancelled
    assert result.phase_boundary is None


def test_old_training_settings_still_load():
    old = TrainingConfig().to_dict()
    for key in [k for k in old if k.startswith("fine_tune")]:
        del old[key]
    assert TrainingConfig.from_dict(old).fine_tune is False
    bad = {**old, "fine_tune_lr_factor": 2.0}
    from core.errors import ProjectFormatError

    with pytest.raises(ProjectFormatError, match="fine_tune_lr_factor"):
        TrainingConfig.from_dict(bad)


def test_a_run_stopped_in_phase_two_resumes_in_phase_two(tmp_path, cfg):
    import threading

    from core.data.load import open_dataset
    from core.data.spec import DatasetSpec
    from core.runs import RunStore
    from core.training.session import run_session

    dataset = open_dataset(DatasetSpec(name="shapes", count=24))
    s = ModelSpec(spec().input, spec().layers, HeadSpec(dataset.num_classes))
    store = RunStore(tmp_path / "runs")
    three = TrainingConfig(**{**cfg.to_dict(), "fine_tune_epochs": 2})
    cancel = threading.Event()

    class StopInThirdEpoch(NullListener):
        def on_batch_end(self, epoch, batch, logs):
            if epoch == 2:
                cancel.set()

    first = run_session(
        s,
        dataset=dataset,
        cfg=three,
        listener=StopInThirdEpoch(),
        cancel=cancel,
        store=store,
    )
    assert first.result.cancelled
    assert first.result.epochs_run == 2
    recorder = Recorder()
    resumed = run_session(
        s, dataset=dataset, cfg=three, listener=recorder, store=store, resume=first.run
    )
    assert resumed.result.stop_reason.value == "completed"
    assert resumed.result.epochs_run == 3
    assert resumed.run.record()["phase_boundary"] == 1
    assert ("phase", 2, 1) in recorder.calls
    assert ("phase", 1, 0) not in recorder.calls
    assert [c for c in recorder.calls if c[0] == "epoch"] == [("epoch", 2)]


def test_a_wrong_phase_two_layer_fails_at_start_not_after_phase_one(tmp_path):
    from dataclasses import replace

    from core.data.load import open_dataset
    from core.data.spec import DatasetSpec
    from core.runs import RunStore
    from core.training.preflight import PreflightError
    from core.training.session import run_session

    dataset = open_dataset(DatasetSpec(name="shapes", count=12))
    s = replace(spec(), head=HeadSpec(dataset.num_classes, "softmax"))
    cfg = TrainingConfig(epochs=1, fine_tune=True, fine_tune_from="block_99_typo")
    recorder = Recorder()
    store = RunStore(tmp_path / "runs")
    with pytest.raises(PreflightError, match="no layer 'block_99_typo'"):
        run_session(s, dataset=dataset, cfg=cfg, listener=recorder, store=store)
    assert recorder.calls == []  # not one epoch trained
    assert store.list() == []  # and no run folder left behind


def early_stopping_cfg(cfg: TrainingConfig) -> TrainingConfig:
    """Patience 0: a phase stops at its first epoch that does not improve val_loss.

    The seed fixes which epoch that is; the tests read it from the result.
    """
    return TrainingConfig(
        **{
            **cfg.to_dict(),
            "epochs": 6,
            "fine_tune_epochs": 2,
            "early_stopping": True,
            "patience": 0,
            "checkpoint": True,
            "checkpoint_monitor": "loss",
        }
    )


def check_phase_two(phase_two: dict, boundary: int) -> None:
    """Phase 2 starts at ``boundary`` and runs its own one or two epochs."""
    assert phase_two["first_epoch"] == boundary
    assert phase_two["epochs_run"] in (1, 2)
    stopped_early = phase_two["epochs_run"] == 1
    assert phase_two["stop_reason"] == (
        "early stopping" if stopped_early else "completed"
    )


def test_early_stopping_in_phase_one_starts_phase_two_at_the_next_epoch(tmp_path, cfg):
    import csv

    from core.data.load import open_dataset
    from core.data.spec import DatasetSpec
    from core.runs import RunStore
    from core.training.session import run_session

    keras.utils.set_random_seed(0)
    dataset = open_dataset(DatasetSpec(name="shapes", count=24))
    s = ModelSpec(spec().input, spec().layers, HeadSpec(dataset.num_classes))
    store = RunStore(tmp_path / "runs")
    recorder = Recorder()
    out = run_session(
        s,
        dataset=dataset,
        cfg=early_stopping_cfg(cfg),
        listener=recorder,
        store=store,
    )
    record = out.run.record()
    phase_one, phase_two = record["phases"]
    boundary = phase_one["epochs_run"]
    assert phase_one == {
        "first_epoch": 0,
        "epochs_run": boundary,
        "stop_reason": "early stopping",
    }
    assert boundary < 6  # the premise: phase 1 stopped early
    check_phase_two(phase_two, boundary)
    assert out.result.phases == record["phases"]
    assert out.result.phase_boundary == record["phase_boundary"] == boundary
    assert ("phase", 2, boundary) in recorder.calls
    total = boundary + phase_two["epochs_run"]
    assert record["epochs_run"] == total
    with open(out.run.path / "history.csv", newline="") as f:
        assert [int(row["epoch"]) for row in csv.DictReader(f)] == list(range(total))
    losses = record["history"]["loss"]
    assert record["best_epoch"] == int(np.argmin(losses))


def test_a_run_stopped_in_phase_two_after_early_stopping_resumes_at_its_boundary(
    tmp_path, cfg
):
    import threading

    from core.data.load import open_dataset
    from core.data.spec import DatasetSpec
    from core.runs import RunStore
    from core.training.session import run_session

    keras.utils.set_random_seed(0)
    dataset = open_dataset(DatasetSpec(name="shapes", count=24))
    s = ModelSpec(spec().input, spec().layers, HeadSpec(dataset.num_classes))
    store = RunStore(tmp_path / "runs")
    cancel = threading.Event()

    class StopInPhaseTwo(NullListener):
        def on_phase_begin(self, phase, epoch):
            self.phase = phase

        def on_batch_end(self, epoch, batch, logs):
            if getattr(self, "phase", 1) == 2:
                cancel.set()

    es = early_stopping_cfg(cfg)
    first = run_session(
        s,
        dataset=dataset,
        cfg=es,
        listener=StopInPhaseTwo(),
        cancel=cancel,
        store=store,
    )
    assert first.result.cancelled
    phase_one, phase_two = first.run.record()["phases"]
    boundary = phase_one["epochs_run"]
    assert phase_one["stop_reason"] == "early stopping"
    assert phase_two == {
        "first_epoch": boundary,
        "epochs_run": 0,
        "stop_reason": "cancelled",
    }
    recorder = Recorder()
    resumed = run_session(
        s, dataset=dataset, cfg=es, listener=recorder, store=store, resume=first.run
    )
    assert ("phase", 2, boundary) in recorder.calls
    assert not any(c[:2] == ("phase", 1) for c in recorder.calls)
    assert next(c for c in recorder.calls if c[0] == "epoch") == ("epoch", boundary)
    record = resumed.run.record()
    assert record["phases"][0] == phase_one
    check_phase_two(record["phases"][1], boundary)
    assert record["phase_boundary"] == boundary
    assert record["epochs_run"] == boundary + record["phases"][1]["epochs_run"]
