"""Augmentation placed inside the model trains, checkpoints, resumes and exports."""

from __future__ import annotations

import threading

import keras
import numpy as np

from core.augmentation.config import AugmentationConfig
from core.data.load import open_dataset
from core.data.spec import DatasetSpec
from core.inference.export import export_keras
from core.model_files.class_names import read_class_names
from core.runs import RunStore
from core.training.config import TrainingConfig
from core.training.events import NullListener
from core.training.session import run_session
from tests.core.training.test_session import small_spec


class StopInSecondEpoch(NullListener):
    """Also asks for the time estimate, as the Training page does."""

    def __init__(self, cancel: threading.Event) -> None:
        self.cancel = cancel
        self.estimates: list[float] = []

    def on_estimate(self, seconds: float, device: str) -> None:
        self.estimates.append(seconds)

    def on_batch_end(self, epoch, batch, logs):
        if epoch == 1:
            self.cancel.set()


def test_a_model_placed_augmentation_run_checkpoints_resumes_and_exports(tmp_path):
    keras.utils.set_random_seed(0)
    dataset = open_dataset(DatasetSpec(name="shapes", count=60))
    store = RunStore(tmp_path / "runs")
    aug = AugmentationConfig(flip="horizontal", rotation=0.1, placement="model")
    cfg = TrainingConfig(epochs=3, batch_size=16)
    cancel = threading.Event()
    listener = StopInSecondEpoch(cancel)
    first = run_session(
        small_spec(6),
        dataset=dataset,
        cfg=cfg,
        augmentation=aug,
        listener=listener,
        cancel=cancel,
        store=store,
    )
    assert listener.estimates
    assert first.result.epochs_run == 1
    assert first.run.record()["stop_reason"] == "cancelled"
    resumed = run_session(
        small_spec(6),
        dataset=dataset,
        cfg=cfg,
        augmentation=aug,
        store=store,
        resume=first.run,
    )
    assert resumed.result.stop_reason.value == "completed"
    assert resumed.result.epochs_run == 3
    folder = first.run.path
    for name in ("best.keras", "last.keras"):
        model = keras.models.load_model(folder / name)  # plain Keras opens it
        assert "augmentation" not in [layer.name for layer in model.layers]
        assert read_class_names(folder / name) == dataset.class_names
    exported = export_keras(
        keras.models.load_model(folder / "best.keras"),
        tmp_path / "exported.keras",
        dataset.class_names,
    )
    served = keras.models.load_model(exported)
    probabilities = served.predict(np.zeros((2, 50, 40, 3), "uint8"), verbose=0)
    assert probabilities.shape == (2, 6)
