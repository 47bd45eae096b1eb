"""ONNX export: Keras's ``model.export(format="onnx")``, tf2onnx underneath.

The ``onnx`` extra (``core.inference.format_extras``). The file holds the
fixed-size model, as the TFLite one does: raw 0-255 pixels at the model's
input size, float32, any batch size; onnxruntime runs it (the verification
does, ``core.inference.format_runtimes``). Keras exports only a model that
has been called once, so it is called on one black image first.
"""

from __future__ import annotations

import os
from pathlib import Path

import keras
import numpy as np

from core.errors import WorkbenchError
from core.inference.export import Check, write_file
from core.model_files.class_names import first_line

# ONNX opset 18 (ONNX 1.13): tf2onnx 1.17.0 writes it, onnxruntime 1.32.0 runs
# it, and runtimes from 2023 on read it; measured within 2.4e-7 of Keras's
# probabilities on the tiny trained test model's 350 images (60 test, 90
# training, 200 of random pixels).
ONNX_OPSET = 18


def export_onnx(
    model: keras.Model, path: str | os.PathLike[str], check: Check | None = None
) -> Path:
    """The fixed-size model as an ONNX file at ``path`` (written, checked, renamed)."""
    from core.tf_runtime import quietly

    _, h, w, c = model.inputs[0].shape
    model(np.zeros((1, h, w, c), np.float32), training=False)

    def write(temporary: Path) -> None:
        try:
            with quietly():
                model.export(
                    str(temporary),
                    format="onnx",
                    verbose=False,
                    opset_version=ONNX_OPSET,
                )
        except OSError:
            raise
        except Exception as exc:  # tf2onnx's own: an op it cannot convert
            raise WorkbenchError(
                f"the model cannot be written as ONNX: {first_line(str(exc))}"
            ) from None

    return write_file(Path(path), write, check)
