"""Fit a model's input and classifier head to a loaded dataset.

Loading data in the app sets the model's input shape and head from it, as one
undoable step; a script does the same with this function, so the rule (the
dataset spec's own size first, then the images' shape, else keep the model's)
lives in one place.
"""

from __future__ import annotations

from core.data.dataset import Dataset
from core.data.spec import DatasetSpec
from core.spec import HeadSpec, InputSpec


def fit_model_to_data(
    input_spec: InputSpec,
    head: HeadSpec,
    dataset: Dataset,
    spec: DatasetSpec | None = None,
) -> tuple[InputSpec, HeadSpec]:
    """The (input, head) that take ``dataset``'s images and classes.

    The size and channels ``spec`` asks for win (photos read at a preset's
    150x150); else the images' own shape when they share one; else the model
    keeps its input, as a folder of mixed sizes is resized to it. The head
    keeps its binary choice (one sigmoid unit or two softmax units).

    Example:
        >>> new_input, new_head = fit_model_to_data(doc.input, doc.head, dataset)
        >>> doc.apply_dataset(dataset_spec, new_input, new_head)
    """
    native = dataset.native_shape() or input_spec.shape
    h, w = spec.image_size if spec and spec.image_size else native[:2]
    c = spec.channels if spec and spec.channels else native[2]
    return InputSpec(h, w, c), HeadSpec(dataset.num_classes, head.binary)
