"""Pre-flight: the problems that refuse a run, the same from every caller."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from core.data.load import open_dataset
from core.data.spec import DatasetSpec
from core.errors import WorkbenchError
from core.presets import preset
from core.runs import RunStore
from core.spec import HeadSpec, InputSpec, LayerSpec, ModelSpec
from core.training.config import TrainingConfig
from tests.core.training.test_session import small_spec

CFG = TrainingConfig(epochs=1, batch_size=8, checkpoint=False)


@pytest.fixture(scope="module")
def shapes():
    return open_dataset(DatasetSpec(name="shapes", count=60))


def shapes_of(classes: int):
    """The shapes data cut to its first ``classes`` classes."""
    data = open_dataset(DatasetSpec(name="shapes", count=60))
    for split in data.splits.values():
        keep = np.nonzero(split.labels < classes)[0]
        split.labels, split.images = split.labels[keep], split.images[keep]
    data.class_names = data.class_names[:classes]
    return data


def small(classes: int, binary: str = "sigmoid", size=(32, 32, 3)) -> ModelSpec:
    return replace(
        small_spec(classes), input=InputSpec(*size), head=HeadSpec(classes, binary)
    )


def test_a_matching_model_passes(shapes):
    from core.training.preflight import preflight

    assert preflight(small(6), shapes, CFG) == []
    assert preflight(preset("shapes-starter"), shapes, CFG) == []


@pytest.mark.parametrize("binary", ["sigmoid", "softmax"])
def test_two_classes_match_a_one_unit_sigmoid_head_and_two_softmax_units(binary):
    from core.training.preflight import preflight

    spec = small(2, binary)
    assert spec.head.units == (1 if binary == "sigmoid" else 2)
    assert preflight(spec, shapes_of(2), CFG) == []


def test_the_cats_preset_on_the_shapes_data_is_refused_with_both_reasons(shapes):
    from core.training.preflight import preflight

    problems = preflight(preset("cats-vs-dogs-small"), shapes, CFG)
    assert len(problems) == 2
    assert problems[0].startswith("The model classifies 2 classes but shapes has 6")
    assert "takes 150x150x3 images but shapes's are 64x64x3" in problems[1]


def test_input_channels_and_enlarging_are_refused_shrinking_is_not(shapes):
    from core.training.preflight import preflight

    assert preflight(small(6, size=(16, 16, 3)), shapes, CFG) == []
    [gray] = preflight(small(6, size=(32, 32, 1)), shapes, CFG)
    assert "32x32x1 images but shapes's are 64x64x3" in gray
    [wide] = preflight(small(6, size=(64, 96, 3)), shapes, CFG)
    assert "64x96x3" in wide


def test_an_invalid_model_and_no_data_are_refused(shapes):
    from core.training.preflight import preflight

    assert preflight(small(6), None, CFG)[0].startswith("No dataset is loaded")
    bad = small(6, size=(4, 4, 3))
    bad = ModelSpec(
        bad.input,
        (*bad.layers[:1], LayerSpec.create("Conv2D", "conv2d_1", {"kernel_size": 9})),
        bad.head,
    )
    [problem] = preflight(bad, shapes, CFG)
    assert problem.startswith("The model is not valid (conv2d_1:")


def test_memory_beyond_the_machine_is_refused_a_tight_fit_is_not(shapes, monkeypatch):
    import core.training.estimate as estimate
    from core.training.preflight import preflight

    roomy = estimate.estimate_memory(small(6), shapes, CFG.batch_size)
    assert roomy.beyond_machine is False
    # a machine with less RAM in all than this run needs
    monkeypatch.setattr(estimate, "total_memory", lambda: roomy.total - 1)
    monkeypatch.setattr(estimate, "available_memory", lambda: roomy.total // 2)
    [ram] = preflight(small(6), shapes, CFG)
    assert ram.startswith("Memory: about")
    assert "more than this computer has" in ram
    assert "smaller" in ram  # the advice comes with it
    monkeypatch.undo()
    [gpu] = preflight(small(6), shapes, CFG, gpu_available=roomy.on_device // 2)
    assert "free on the GPU" in gpu


def test_run_session_refuses_first_with_the_same_message(shapes, tmp_path):
    from core.training.session import run_session

    store = RunStore(tmp_path / "runs")
    with pytest.raises(WorkbenchError, match="classifies 2 classes but shapes has 6"):
        run_session(small(2), dataset=shapes, cfg=CFG, store=store)  # today: it trained
    assert store.list() == []  # refused before any run folder

    from core.training.preflight import PreflightError, preflight

    with pytest.raises(PreflightError) as caught:
        run_session(small(2), dataset=shapes, cfg=CFG)
    assert str(caught.value) == " ".join(preflight(small(2), shapes, CFG))
