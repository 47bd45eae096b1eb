"""int8 TFLite: full-integer post-training quantization, uint8 in and out.

The path is TensorFlow's own converter (``tf.lite.TFLiteConverter`` with a
representative dataset and ``TFLITE_BUILTINS_INT8``), checked with
TensorFlow's own interpreter (``tf.lite.Interpreter``). Both are marked
deprecated in TensorFlow 2.21 in favour of the LiteRT packages
(``ai-edge-quantizer``, ``ai_edge_litert``), but both still work there and
ship with the TensorFlow the app already requires: no extra to install, one
documented call, and the same converter the float TFLite export uses. The
LiteRT quantizer (0.10 at the time of writing) would add five packages and
quantize an already converted float file through its own recipe API; when
TensorFlow drops its converter's quantization, that is where this moves.

The activation ranges are measured on a seeded sample of the training split
(``core.inference.held_out.representative_sample``): the held-out images that
verify the file are never used to make it.
"""

from __future__ import annotations

import os
from pathlib import Path

import keras
import numpy as np

from core.errors import WorkbenchError
from core.inference.export import Check, write_file
from core.model_files.class_names import first_line


def export_tflite_int8(
    model: keras.Model,
    path: str | os.PathLike[str],
    sample: np.ndarray,
    check: Check | None = None,
) -> Path:
    """The fixed-size model as a full-integer TFLite file calibrated on ``sample``.

    ``sample``: training images (N, h, w, c), float32 0-255 values. The file
    takes uint8 pixels at the model's input size and outputs uint8 scores
    (dequantize them with the output's scale and zero point).
    """
    import tensorflow as tf

    from core.tf_runtime import quietly

    def representative():
        for image in sample:
            yield [image[None].astype(np.float32)]

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.uint8
    converter.inference_output_type = tf.uint8
    try:
        with quietly():
            flatbuffer = converter.convert()
    except Exception as exc:  # an op with no int8 kernel, said by the converter
        raise WorkbenchError(
            f"the model cannot be quantized to int8: {first_line(str(exc))}"
        ) from None
    return write_file(Path(path), lambda t: t.write_bytes(flatbuffer), check)
