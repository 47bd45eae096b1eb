"""Each export format loaded back in the runtime its users will load it with.

A verification that loaded the file with the app's own loader would prove
little: the point is that a user's ``keras.models.load_model`` (safe mode),
``tf.saved_model.load``, TFLite interpreter or onnxruntime session gives the
app's answers. Each loader returns ``predict(images) -> outputs`` on float32
0-255 images at the model's input size; an int8 file's uint8 input and output
are quantized and dequantized with the file's own scales.

The TFLite interpreter is ``tf.lite.Interpreter``: it runs the builtin int8
kernels the TensorFlow converter targets (see ``core.inference.lite_int8``
for why that converter).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

Predict = Callable[[np.ndarray], np.ndarray]
BATCH = 64


def load_for_verification(path: Path, key: str) -> Predict:
    """The exported file at ``path`` (format ``key``) as a predict function."""
    loaders = {
        "keras": _keras,
        "saved_model": _saved_model,
        "tflite": _tflite,
        "tflite_int8": _tflite,
        "onnx": _onnx,
    }
    return loaders[key](path)


def _batched(run: Predict) -> Predict:
    def predict(images: np.ndarray) -> np.ndarray:
        return np.concatenate(
            [run(images[i : i + BATCH]) for i in range(0, len(images), BATCH)]
        )

    return predict


def _keras(path: Path) -> Predict:
    import keras

    model = keras.models.load_model(path, safe_mode=True, compile=False)
    return _batched(lambda x: np.asarray(model(x, training=False)))


def _saved_model(path: Path) -> Predict:
    import tensorflow as tf

    loaded = tf.saved_model.load(str(path))
    return _batched(lambda x: np.asarray(loaded.serve(tf.constant(x))))


def _tflite(path: Path) -> Predict:
    import tensorflow as tf

    from core.tf_runtime import quietly

    # Allocating applies the XNNPACK delegate, whose C++ line ("INFO: Created
    # TensorFlow Lite XNNPACK delegate for CPU.") reached the command line's
    # output once per process.
    with quietly():
        interpreter = tf.lite.Interpreter(model_path=str(path))
        interpreter.allocate_tensors()
    [given] = interpreter.get_input_details()
    [taken] = interpreter.get_output_details()

    def one(image: np.ndarray) -> np.ndarray:
        interpreter.set_tensor(given["index"], _quantized(image[None], given))
        interpreter.invoke()
        return _dequantized(interpreter.get_tensor(taken["index"]), taken)[0]

    return lambda images: np.stack([one(image) for image in images])


def _quantized(x: np.ndarray, detail: dict) -> np.ndarray:
    dtype = detail["dtype"]
    if dtype == np.float32:
        return x.astype(np.float32)
    scale, zero = detail["quantization"]
    info = np.iinfo(dtype)
    q = np.round(x / scale) + zero
    return np.clip(q, info.min, info.max).astype(dtype)


def _dequantized(y: np.ndarray, detail: dict) -> np.ndarray:
    if detail["dtype"] == np.float32:
        return y
    scale, zero = detail["quantization"]
    return (y.astype(np.float32) - zero) * scale


def _onnx(path: Path) -> Predict:
    import onnxruntime

    session = onnxruntime.InferenceSession(
        str(path), providers=["CPUExecutionProvider"]
    )
    name = session.get_inputs()[0].name
    return _batched(lambda x: session.run(None, {name: x.astype(np.float32)})[0])
