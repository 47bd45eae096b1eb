"""Label smoothing: runs train with Keras's smoothed loss and save plain models."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import core.training.session as session
from core.augmentation.config import AugmentationConfig
from core.data.load import open_dataset
from core.data.spec import DatasetSpec
from core.errors import ProjectFormatError
from core.inference.gradcam import gradcam
from core.runs import RunStore
from core.training.config import TrainingConfig
from core.training.session import run_session
from tests.core.inference.test_gradcam import IMAGE, check
from tests.tiny_model import tiny_spec


def smoothing_of(loss) -> float:
    """The label smoothing of a compiled loss, in whichever form Keras keeps it."""
    loss = keras.losses.get(loss)
    return loss.get_config().get("label_smoothing", 0.0)


@pytest.fixture
def compiled(monkeypatch) -> list:
    """The losses the session compiles the model it trains with."""
    seen = []
    original = session.train

    def spy(model, *args, **kwargs):
        seen.append(model.loss)
        return original(model, *args, **kwargs)

    monkeypatch.setattr(session, "train", spy)
    return seen


def test_a_smoothed_run_trains_saves_and_reloads_plain(tmp_path, compiled):
    data = open_dataset(DatasetSpec(name="shapes", count=60))
    store = RunStore(tmp_path / "runs")
    cfg = TrainingConfig(epochs=1, batch_size=16, label_smoothing=0.1)
    out = run_session(
        tiny_spec(6),
        dataset=data,
        cfg=cfg,
        augmentation=AugmentationConfig(),
        store=store,
    )
    assert out.result.epochs_run == 1
    assert smoothing_of(compiled[0]) == pytest.approx(0.1)
    # The test split reports plain accuracy and plain cross-entropy.
    assert out.evaluation is not None
    assert 0.0 <= out.evaluation.accuracy <= 1.0
    [run] = store.list()
    for name in ("best.keras", "last.keras"):
        loaded = keras.models.load_model(run.path / name)  # no custom objects
        assert loaded.output_shape == (None, 6)
        assert smoothing_of(loaded.loss) == pytest.approx(0.1)
    # The model is a plain classifier: Grad-CAM explains it as any other.
    check(gradcam(loaded, IMAGE))


def test_smoothing_with_mixup_trains(compiled):
    data = open_dataset(DatasetSpec(name="shapes", count=60))
    cfg = TrainingConfig(epochs=1, batch_size=8, checkpoint=False, label_smoothing=0.1)
    out = run_session(
        tiny_spec(6), dataset=data, cfg=cfg, augmentation=AugmentationConfig(mixup=0.4)
    )
    assert out.result.epochs_run == 1
    assert np.isfinite(out.result.history["loss"]).all()
    assert smoothing_of(compiled[0]) == pytest.approx(0.1)


def test_a_sigmoid_head_smooths_its_binary_labels(compiled):
    data = open_dataset(DatasetSpec(name="shapes", count=60))
    for split in data.splits.values():  # two classes: circle and square
        keep = np.nonzero(split.labels < 2)[0]
        split.labels, split.images = split.labels[keep], split.images[keep]
    data.class_names = data.class_names[:2]
    cfg = TrainingConfig(
        epochs=1,
        batch_size=8,
        checkpoint=False,
        label_smoothing=0.2,
        class_weights=True,
    )
    out = run_session(
        tiny_spec(2), dataset=data, cfg=cfg, augmentation=AugmentationConfig()
    )
    assert out.model.output_shape == (None, 1)
    assert isinstance(keras.losses.get(compiled[0]), keras.losses.BinaryCrossentropy)
    assert smoothing_of(compiled[0]) == pytest.approx(0.2)


def test_smoothing_is_checked_and_old_projects_load_without_it():
    assert TrainingConfig.from_dict({"epochs": 3}).label_smoothing == 0.0
    assert TrainingConfig.from_dict({"label_smoothing": 0}).label_smoothing == 0.0
    for bad in (-0.1, 0.6, float("nan")):
        problems = TrainingConfig(label_smoothing=bad).problems()
        assert [name for name, _ in problems] == ["label_smoothing"]
    with pytest.raises(ProjectFormatError, match="label_smoothing"):
        TrainingConfig.from_dict({"label_smoothing": 0.7})
