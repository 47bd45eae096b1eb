"""A run says what it does before its first batch (#25).

"Preparing (the first run loads TensorFlow)..." stood for up to 90 s on every
run, even the second, while the pipeline, the model and the time probe were
built: a listener now hears each stage by name, in order.
"""

from __future__ import annotations

from core.augmentation.config import AugmentationConfig
from core.data.load import open_dataset
from core.data.spec import DatasetSpec
from core.training.config import TrainingConfig
from core.training.events import NullListener
from core.training.session import run_session
from tests.core.training.test_session import small_spec


class StageRecorder(NullListener):
    def __init__(self) -> None:
        self.calls: list[str] = []

    def on_stage(self, stage: str) -> None:
        self.calls.append(stage)

    def on_train_begin(self, total_epochs: int, steps_per_epoch: int) -> None:
        self.calls.append("train")


class Recorder(StageRecorder):
    def on_estimate(self, seconds_per_epoch: float, device: str) -> None:
        self.calls.append("estimate")


def train_one_epoch(listener: StageRecorder) -> StageRecorder:
    run_session(
        small_spec(6),
        dataset=open_dataset(DatasetSpec(name="shapes", count=60)),
        cfg=TrainingConfig(epochs=1, batch_size=16),
        augmentation=AugmentationConfig(),
        listener=listener,
    )
    return listener


def test_the_stages_before_the_first_batch_are_told_in_order():
    listener = train_one_epoch(Recorder())
    assert listener.calls == [
        "building the data pipeline",
        "building the model",
        "measuring a few batches",
        "estimate",
        "train",
    ]


def test_a_listener_without_on_estimate_pays_for_no_estimate():
    """The estimate trains a copy of the model for a few batches (seconds to
    minutes): a listener that cannot hear it does not pay for it."""
    listener = train_one_epoch(StageRecorder())
    assert "measuring a few batches" not in listener.calls
    assert listener.calls[-1] == "train"
