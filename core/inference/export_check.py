"""The verification an export runs on its written file before it is renamed into place.

``ExportCheck`` is the ``check`` the writers of ``core.inference.export``
call with the temporary file: it loads the file in its own runtime
(``core.inference.format_runtimes``), predicts the held-out images, scores the
answers against the app's model (``core.inference.verification``) and raises
``VerificationFailed`` when they differ, so the writer deletes the temporary
file and the user's earlier file of that name stays as it was.

Both sides' outputs go through the app model's output rule
(``core.inference.output_activation``), so a model that outputs logits is
compared, as it is shown, in probabilities.
"""

from __future__ import annotations

import threading
from pathlib import Path

import keras
import numpy as np

from core.errors import WorkbenchError
from core.inference.format_runtimes import load_for_verification
from core.inference.held_out import HeldOut
from core.inference.output_activation import output_activation
from core.inference.verification import (
    Verification,
    not_verified,
    score_float,
    score_int8,
)


class VerificationFailed(WorkbenchError):
    """The written file does not predict as the app's model; it was not kept.

    ``verification`` holds the figures, for the command line and the dialog.
    """

    def __init__(self, message: str, verification: Verification) -> None:
        super().__init__(message)
        self.verification = verification


class ExportCheck:
    """Scores a written file of format ``key`` against ``reference`` on ``data``.

    ``reference`` is the Keras model the file was written from (the serving
    model for ``.keras`` and SavedModel), so both take the same images.
    ``result`` is the verdict once called (``not verified`` until then).
    """

    def __init__(
        self,
        key: str,
        target: Path,
        reference: keras.Model,
        data: HeldOut,
        threshold_points: float | None = None,
        cancel: threading.Event | None = None,
    ) -> None:
        self.key, self.target, self.reference, self.data = key, target, reference, data
        self.threshold_points = threshold_points
        self.cancel = cancel
        self.result = not_verified(key, "the file was not written")

    def __call__(self, written: Path) -> None:
        images = self.data.images
        probabilities = output_activation(self.reference)
        try:
            predict = load_for_verification(written, self.key)
            exported = probabilities(predict(images))
        except Exception as exc:  # the file does not load or run in its runtime
            text = str(exc).strip().splitlines()
            why = f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
            self.result = Verification(
                self.key, "failed", f"it does not load or run: {why}", self.data.split
            )
            raise VerificationFailed(self._message(), self.result) from None
        if self.cancel is not None and self.cancel.is_set():
            raise WorkbenchError("the export was stopped")
        reference = probabilities(
            np.asarray(self.reference.predict(images, batch_size=64, verbose=0))
        )
        if self.key == "tflite_int8":
            self.result = score_int8(
                self.key,
                self.data.split,
                reference,
                exported,
                self.data.labels,
                self.data.class_names,
                self.threshold_points,
            )
        else:
            self.result = score_float(self.key, self.data.split, reference, exported)
        if not self.result.passed:
            raise VerificationFailed(self._message(), self.result)

    def _message(self) -> str:
        kept = (
            f"the earlier {self.target.name} is unchanged"
            if self.target.exists()
            else f"no {self.target.name} was written"
        )
        return (
            f"the export failed its verification ({self.result.reason}): "
            f"it was not kept, {kept}"
        )
