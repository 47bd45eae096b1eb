"""The smallest model that trains on images: what training tests build on.

Rescaling, one strided 4-filter convolution, global pooling and the head:
fast enough that a test's time goes to what it checks, not to the model.
"""

from __future__ import annotations

from pathlib import Path

from core.data.spec import DatasetSpec
from core.project import Project, save_project
from core.spec import HeadSpec, InputSpec, LayerSpec, ModelSpec
from core.training.config import TrainingConfig


def tiny_spec(classes: int = 6, size: int = 32, name: str = "model") -> ModelSpec:
    return ModelSpec(
        InputSpec(size, size, 3),
        (
            LayerSpec.create("Rescaling", "rescaling_1"),
            LayerSpec.create("Conv2D", "conv2d_1", {"filters": 4, "strides": 2}),
            LayerSpec.create("GlobalAveragePooling2D", "gap_1"),
        ),
        HeadSpec(classes),
        name=name,
    )


def saved_tiny_project(folder: Path, name: str) -> Path:
    """A one-epoch project of the tiny model on 60 shapes, saved in ``folder``:
    for tests that start the whole app on a run of a few seconds."""
    project = Project(
        name=name,
        model=tiny_spec(),
        dataset=DatasetSpec(name="shapes", count=60),
        training=TrainingConfig(epochs=1, batch_size=16),
    )
    return save_project(project, folder / f"{name}.cnnwb.json")
