"""The smallest model that trains on images: what training tests build on.

Rescaling, one strided 4-filter convolution, global pooling and the head:
fast enough that a test's time goes to what it checks, not to the model.
"""

from __future__ import annotations

from core.spec import HeadSpec, InputSpec, LayerSpec, ModelSpec


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
