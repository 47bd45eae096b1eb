"""The learning-rate range test: its suggestion rule on known curves, and a
real test on tiny data whose suggestion trains better than 10x and 0.1x it."""

from __future__ import annotations

import threading
from dataclasses import replace

import numpy as np
import pytest

from core.data.dataset import Dataset, Split
from core.setting_fields import setting_fields
from core.spec import HeadSpec, InputSpec, LayerSpec, ModelSpec
from core.training.config import TrainingConfig
from core.training.lr_finder import (
    MAX_BATCHES,
    MIN_BATCHES,
    batches_for,
    find_learning_rate,
    rate_bounds,
    rates,
    smooth,
    suggest,
)
from core.training.lr_finder_result import (
    CANCELLED,
    DIVERGED,
    RangeTest,
    load_result,
    result_path,
    save_result,
)
from core.training.session import run_session


def descent(lrs: np.ndarray, centre: float, divergence: float = 1.0) -> np.ndarray:
    """A loss falling from 2 to 0.5 around ``centre`` (its steepest point in
    log10 of the rate), then rising steeply past ``divergence``."""
    x = np.log10(lrs)
    fall = 0.5 + 1.5 / (1 + np.exp(4 * (x - np.log10(centre))))
    rise = np.exp(np.clip(6 * (x - np.log10(divergence)), None, 30))
    return fall + np.where(x > np.log10(divergence), rise - 1, 0)


def test_a_known_curve_suggests_its_steepest_descent_within_the_averages_lag():
    lrs = rates(200)
    noise = np.random.default_rng(0).normal(0, 0.01, len(lrs))
    suggestion = suggest(lrs, descent(lrs, 1e-3) + noise)
    step = lrs[1] / lrs[0]
    # The average trails the curve by about SMOOTHING / (1 - SMOOTHING) = 9
    # batches: the suggestion is the steepest point or up to 10 batches later.
    assert 1e-3 / step <= suggestion <= 1e-3 * step**10


def test_the_fall_after_divergence_is_not_the_suggestion():
    lrs = rates(200)
    losses = descent(lrs, 1e-4, divergence=1e-2)
    # Past divergence the loss crashes (steeper than any real descent).
    after = np.log10(lrs) > -1
    losses[after] = np.linspace(50, 0.01, after.sum())
    suggestion = suggest(lrs, losses)
    assert 1e-4 <= suggestion <= 1e-3


def test_a_nan_loss_ends_the_curve_it_is_judged_on():
    lrs = rates(200)
    losses = descent(lrs, 1e-2, divergence=10)
    losses[np.log10(lrs) > -2.5] = np.nan
    suggestion = suggest(lrs, losses)
    assert suggestion is not None
    assert suggestion < 10**-2.5


def test_the_suggestion_is_clamped_to_the_declared_learning_rate_range():
    declared = next(
        f for f in setting_fields(TrainingConfig) if f.name == "learning_rate"
    )
    assert rate_bounds() == (declared.minimum, declared.maximum)
    lrs = rates(200)
    assert suggest(lrs, descent(lrs, 1e-7 / 3)) == declared.minimum
    assert suggest(lrs, descent(lrs, 5.0, divergence=100)) == declared.maximum


def test_too_few_batches_before_divergence_suggest_nothing():
    lrs = rates(13)
    assert suggest(lrs, np.ones(13)) is not None  # 3 batches after the warm-up
    assert suggest(lrs[:12], np.ones(12)) is None
    assert suggest(lrs, [1.0] * 12 + [np.inf]) is None


def test_smoothing_is_bias_corrected_so_a_flat_curve_stays_flat():
    assert np.allclose(smooth([2.0] * 30), 2.0)


def test_an_epoch_of_batches_within_the_bounds():
    assert batches_for(3) == MIN_BATCHES
    assert batches_for(150) == 150
    assert batches_for(10_000) == MAX_BATCHES


def blobs(count: int, seed: int) -> Split:
    """Three classes of 8x8 noise, each a little brighter in one channel."""
    rng = np.random.default_rng(seed)
    labels = np.arange(count) % 3
    mean = np.full((count, 8, 8, 3), 128.0)
    mean[np.arange(count), :, :, labels] += 40
    images = np.clip(mean + rng.normal(0, 60, mean.shape), 0, 255)
    return Split(labels, images.astype(np.uint8))


def blob_data() -> Dataset:
    empty = Split(np.zeros(0, np.int64), np.zeros((0, 8, 8, 3), np.uint8))
    splits = {"train": blobs(960, 1), "validation": empty, "test": empty}
    return Dataset("blobs", ["red", "green", "blue"], splits)


# The smallest model there is: pixels to softmax (a conv layer's average
# over these images learns too little in a few epochs to tell rates apart).
PIXELS = ModelSpec(
    InputSpec(8, 8, 3),
    (LayerSpec.create("Rescaling", "rescaling_1"), LayerSpec.create("Flatten", "f")),
    HeadSpec(3),
)
SETTINGS = TrainingConfig(
    optimizer="adam",
    batch_size=64,
    epochs=3,
    checkpoint=False,
    backup_and_restore=False,
    csv_logger=False,
)


def test_the_suggested_rate_trains_better_than_ten_times_more_or_less():
    data = blob_data()
    test = find_learning_rate(PIXELS, data, SETTINGS)
    assert test.suggestion is not None
    assert test.stop == DIVERGED
    assert len(test.losses) < test.batches
    assert len(test.losses) == len(test.learning_rates) == len(test.smoothed)
    assert test.learning_rates == sorted(test.learning_rates)

    def final_loss(rate: float) -> float:
        cfg = replace(SETTINGS, learning_rate=rate)
        return run_session(PIXELS, dataset=data, cfg=cfg).result.history["loss"][-1]

    suggested = final_loss(test.suggestion)
    assert suggested < final_loss(test.suggestion / 10)
    assert suggested < final_loss(min(test.suggestion * 10, rate_bounds()[1]))


class Recorder:
    def __init__(self, stop_after: int | None = None) -> None:
        self.cancel = threading.Event()
        self.stop_after = stop_after
        self.began: tuple[int, int] | None = None
        self.batches: list[dict[str, float]] = []
        self.stages: list[str] = []

    def on_train_begin(self, total_epochs: int, steps_per_epoch: int) -> None:
        self.began = (total_epochs, steps_per_epoch)

    def on_batch_end(self, epoch: int, batch: int, logs: dict[str, float]) -> None:
        self.batches.append(logs)
        if self.stop_after is not None and len(self.batches) >= self.stop_after:
            self.cancel.set()

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        raise AssertionError("a range test has no epochs to report")

    def on_stage(self, stage: str) -> None:
        self.stages.append(stage)


def test_progress_reaches_the_listener_and_cancel_stops_after_the_batch():
    listener = Recorder(stop_after=5)
    test = find_learning_rate(
        PIXELS, blob_data(), SETTINGS, listener=listener, cancel=listener.cancel
    )
    assert test.stop == CANCELLED
    assert test.suggestion is None
    assert listener.began == (1, test.batches)
    assert len(listener.batches) == len(test.losses) == 5
    assert set(listener.batches[0]) == {"loss", "smoothed", "learning_rate"}
    assert "building the model" in listener.stages


def test_a_result_is_kept_atomically_and_read_back(tmp_path):
    test = RangeTest([1e-3, 1e-2], [1.0, 0.5], [1.0, 0.7], 1e-2, "completed", 2)
    path = save_result(test, tmp_path / "p.runs")
    assert path == result_path(tmp_path / "p.runs")
    assert load_result(tmp_path / "p.runs") == test
    assert load_result(tmp_path / "none.runs") is None
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary


def test_a_refused_setting_is_refused_before_anything_trains():
    from core.errors import WorkbenchError

    with pytest.raises(WorkbenchError):
        find_learning_rate(PIXELS, blob_data(), replace(SETTINGS, batch_size=0))


def test_an_unsaved_projects_result_moves_beside_the_file_on_save(tmp_path):
    from core.document import ProjectDocument
    from core.project import Project
    from core.runs import RunStore

    document = ProjectDocument(Project())
    test = RangeTest([1e-3, 1e-2], [1.0, 0.5], [1.0, 0.7], 1e-2, "completed", 2)
    save_result(test, document.runs_dir)
    document.save(tmp_path / "p.cnnwb.json")
    assert document.runs_dir == tmp_path / "p.runs"
    assert load_result(document.runs_dir) == test
    assert RunStore(document.runs_dir).list() == []  # it is no run
