"""The images an export needs: held-out ones to verify it, training ones for int8.

They come from the source's open dataset, else from the data recorded by the
run the model came from (opened as the run recorded it, refused if it
changed). An imported model has neither: its export is "not verified", with
the reason, and int8 (which cannot be calibrated without images) is refused.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import numpy as np

from core.errors import WorkbenchError
from core.inference.export_check import ExportCheck
from core.inference.held_out import HeldOut, held_out_images, representative_sample
from core.inference.verification import FLOAT_IMAGES, Verification, not_verified

INT8 = "tflite_int8"


@dataclass(frozen=True)
class ExportData:
    """Held-out images (None: ``unverified`` says why) and int8's sample."""

    held_out: HeldOut | None
    unverified: Verification
    sample: np.ndarray | None = None

    @classmethod
    def of(
        cls,
        source: Any,
        key: str,
        verify: bool = True,
        cancel: threading.Event | None = None,
    ) -> ExportData:
        """What ``source`` (an ``ExportSource``) offers for format ``key``.

        Raises:
            WorkbenchError: int8 with no training images to calibrate on.
        """
        off = not_verified(key, "verification was turned off")
        if not verify and key != INT8:
            return cls(None, off)
        dataset, reason = _open(source, source.model, cancel)
        if dataset is None:
            if key == INT8:
                raise WorkbenchError(
                    f"int8 calibrates on training images, but {reason}"
                )
            return cls(None, not_verified(key, reason))
        shape = _input_shape(source.model)
        sample = representative_sample(dataset, shape, cancel) if key == INT8 else None
        if not verify:
            return cls(None, off, sample)
        limit = None if key == INT8 else FLOAT_IMAGES
        held_out = held_out_images(dataset, shape, limit, cancel)
        if held_out is None:
            reason = f"{dataset.name} has no test or validation images to check it on"
            return cls(None, not_verified(key, reason), sample)
        return cls(held_out, not_verified(key, ""), sample)

    def check(
        self,
        key: str,
        target: Path,
        reference: keras.Model,
        threshold_points: float | None = None,
        cancel: threading.Event | None = None,
    ) -> ExportCheck | None:
        """The check the writer runs on the written file; None when not verified."""
        if self.held_out is None:
            return None
        return ExportCheck(
            key, target, reference, self.held_out, threshold_points, cancel
        )


def _input_shape(model: keras.Model) -> tuple[int, int, int]:
    _, h, w, c = model.inputs[0].shape
    return int(h), int(w), int(c)


def _open(
    source: Any, model: keras.Model, cancel: threading.Event | None
) -> tuple[Any | None, str]:
    """(the dataset, "") or (None, why there is none to use)."""
    _, h, w, _ = model.inputs[0].shape
    if not (h and w):
        return None, "the model takes images of any size, so no size to check it at"
    dataset = source.dataset
    if dataset is None and source.run is not None:
        from core.runs import Run
        from core.training.resume import open_recorded_dataset

        try:
            dataset = open_recorded_dataset(Run(Path(source.run)), cancel=cancel)
        except WorkbenchError as exc:
            return None, f"the run's data cannot be opened ({exc})"
    if dataset is None:
        return None, "an imported model comes with no images to check it on"
    units = max(int(model.outputs[0].shape[-1]), 2)
    if units != dataset.num_classes:
        return None, (
            f"the model predicts {units} classes and {dataset.name} has "
            f"{dataset.num_classes}"
        )
    return dataset, ""
