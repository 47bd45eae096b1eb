"""One seeded epoch per optimizer and schedule gives the history it gave before.

The compile path (``core.training.compile``, ``core.recipe.optimizers``)
replaced four hand-written ones; these histories were recorded on d147374,
before it, so any change in what a run compiles, or in when it seeds, shows
here as a changed float. Seeded runs are deterministic on one CPU; another
CPU (or TensorFlow build) may round differently: ``RECORD=1 pytest -s`` on
the old commit prints the values to paste.
"""

from __future__ import annotations

import json
import os

import pytest

from core.augmentation.config import AugmentationConfig
from core.data.load import open_dataset
from core.data.spec import DatasetSpec
from core.spec import HeadSpec, InputSpec, LayerSpec, ModelSpec
from core.training.config import TrainingConfig
from core.training.events import NullListener
from core.training.session import run_session

SPEC = ModelSpec(
    InputSpec(16, 16, 3),
    (
        LayerSpec.create("Rescaling", "rescaling_1"),
        LayerSpec.create("Conv2D", "conv2d_1", {"filters": 4}),
        LayerSpec.create("Dropout", "dropout_1", {"rate": 0.2}),
        LayerSpec.create("GlobalAveragePooling2D", "gap_1"),
    ),
    HeadSpec(6),
)
# Phase 2 recompiles: MobileNetV2 (random weights) unfreezes from its top block.
BACKBONE_SPEC = ModelSpec(
    InputSpec(32, 32, 3),
    (
        LayerSpec.create(
            "Backbone",
            "mobilenet",
            {"architecture": "MobileNetV2", "weights": "none", "freeze": "all"},
        ),
        LayerSpec.create("GlobalAveragePooling2D", "gap_1"),
    ),
    HeadSpec(6),
)
TWO_PHASES = {
    "fine_tune": True,
    "fine_tune_epochs": 1,
    "fine_tune_from": "block_16_expand",
}


class Estimating(NullListener):
    """Asks for the epoch estimate (a NullListener alone does not)."""

    def on_estimate(self, seconds_per_epoch: float, device: str) -> None:
        return None


# name: (training settings, augmentation settings, whether a listener asks
# for the epoch estimate, which compiles and trains a copy first)
VARIANTS: dict[str, tuple[dict, dict, bool]] = {
    "adam": ({}, {}, False),
    "adam-plateau": ({"schedule": "plateau"}, {}, False),
    "adam-cosine": ({"schedule": "cosine"}, {}, False),
    "adam-cosine-warmup-estimate": ({"schedule": "cosine", "warmup": 0.25}, {}, True),
    "sgd-nesterov": ({"optimizer": "sgd", "nesterov": True}, {}, False),
    "sgd-cosine-warmup": (
        {"optimizer": "sgd", "schedule": "cosine", "warmup": 0.25},
        {},
        False,
    ),
    "rmsprop": ({"optimizer": "rmsprop"}, {}, False),
    "rmsprop-cosine": ({"optimizer": "rmsprop", "schedule": "cosine"}, {}, False),
    "adamw": ({"optimizer": "adamw", "weight_decay": 0.01}, {}, False),
    "adamw-plateau-estimate": ({"optimizer": "adamw", "schedule": "plateau"}, {}, True),
    "adam-smoothing": ({"label_smoothing": 0.1}, {}, False),
    "adam-mixup": ({}, {"mixup": 0.4}, False),
    "sgd-cosine-two-phases": (
        {"optimizer": "sgd", "schedule": "cosine", "warmup": 0.25, **TWO_PHASES},
        {},
        False,
    ),
    "adamw-smoothing-two-phases": (
        {"optimizer": "adamw", "label_smoothing": 0.1, **TWO_PHASES},
        {},
        False,
    ),
    "adam-flip-in-model-estimate": (
        {},
        {"flip": "horizontal", "placement": "model"},
        True,
    ),
}


def history(name: str) -> dict[str, list[float]]:
    """One epoch (a phase) of ``VARIANTS[name]`` on 60 shapes, as ``run_session``
    records it."""
    training, augmentation, estimate = VARIANTS[name]
    size = (32, 32) if training.get("fine_tune") else (16, 16)
    data = open_dataset(DatasetSpec(name="shapes", count=60, image_size=size))
    cfg = TrainingConfig(
        **{"epochs": 1, "batch_size": 8, "learning_rate": 0.01, **training}
    )
    out = run_session(
        BACKBONE_SPEC if training.get("fine_tune") else SPEC,
        dataset=data,
        cfg=cfg,
        augmentation=AugmentationConfig.from_dict(augmentation),
        listener=Estimating() if estimate else None,
    )
    return out.result.history


# Recorded on d147374 (python -m pytest with RECORD=1), this CPU.
RECORDED: dict[str, dict[str, list[float]]] = {
    "adam": {
        "accuracy": [0.1666666716337204],
        "loss": [1.8402620553970337],
        "val_accuracy": [0.1666666716337204],
        "val_loss": [1.8159517049789429],
    },
    "adam-plateau": {
        "accuracy": [0.1666666716337204],
        "loss": [1.8402620553970337],
        "val_accuracy": [0.1666666716337204],
        "val_loss": [1.8159517049789429],
    },
    "adam-cosine": {
        "accuracy": [0.1666666716337204],
        "loss": [1.849145531654358],
        "val_accuracy": [0.1666666716337204],
        "val_loss": [1.8392564058303833],
    },
    "adam-cosine-warmup-estimate": {
        "accuracy": [0.2291666716337204],
        "loss": [1.823257565498352],
        "val_accuracy": [0.0],
        "val_loss": [1.8035316467285156],
    },
    "sgd-nesterov": {
        "accuracy": [0.2291666716337204],
        "loss": [1.8259824514389038],
        "val_accuracy": [0.1666666716337204],
        "val_loss": [1.8035359382629395],
    },
    "sgd-cosine-warmup": {
        "accuracy": [0.2291666716337204],
        "loss": [1.8295884132385254],
        "val_accuracy": [0.0],
        "val_loss": [1.8222697973251343],
    },
    "rmsprop": {
        "accuracy": [0.1666666716337204],
        "loss": [1.8617867231369019],
        "val_accuracy": [0.3333333432674408],
        "val_loss": [1.7984119653701782],
    },
    "rmsprop-cosine": {
        "accuracy": [0.1666666716337204],
        "loss": [1.8706353902816772],
        "val_accuracy": [0.3333333432674408],
        "val_loss": [1.8006895780563354],
    },
    "adamw": {
        "accuracy": [0.1666666716337204],
        "loss": [1.8402214050292969],
        "val_accuracy": [0.1666666716337204],
        "val_loss": [1.815922737121582],
    },
    "adamw-plateau-estimate": {
        "accuracy": [0.1875],
        "loss": [1.8319473266601562],
        "val_accuracy": [0.1666666716337204],
        "val_loss": [1.8314865827560425],
    },
    "adam-smoothing": {
        "accuracy": [0.1666666716337204],
        "loss": [1.8337119817733765],
        "val_accuracy": [0.3333333432674408],
        "val_loss": [1.8065236806869507],
    },
    "adam-mixup": {
        "accuracy": [0.0833333358168602],
        "loss": [1.8286561965942383],
        "val_accuracy": [0.1666666716337204],
        "val_loss": [1.8037508726119995],
    },
    "sgd-cosine-two-phases": {
        "accuracy": [0.1666666716337204, 0.1666666716337204],
        "loss": [1.7920984029769897, 1.7917976379394531],
        "val_accuracy": [0.1666666716337204, 0.1666666716337204],
        "val_loss": [1.7917680740356445, 1.7917675971984863],
    },
    "adamw-smoothing-two-phases": {
        "accuracy": [0.1458333283662796, 0.1666666716337204],
        "loss": [1.7944246530532837, 1.7921222448349],
        "val_accuracy": [0.1666666716337204, 0.1666666716337204],
        "val_loss": [1.7918723821640015, 1.7918716669082642],
    },
    "adam-flip-in-model-estimate": {
        "accuracy": [0.1875],
        "loss": [1.8258675336837769],
        "val_accuracy": [0.1666666716337204],
        "val_loss": [1.8316092491149902],
    },
}


@pytest.mark.parametrize("name", list(VARIANTS))
def test_a_seeded_epoch_gives_the_recorded_history(name):
    got = history(name)
    if os.environ.get("RECORD"):
        print(f"RECORDED {name!r}: {json.dumps(got, sort_keys=True)}")
        return
    assert got == RECORDED[name]
