"""Grad-CAM: where in the image the model looked for a class.

Common Grad-CAM code builds ``keras.Model(model.inputs, layer.output)``, which
breaks for Sequential models loaded from files and for transfer-learning
models whose backbone is one nested layer (keras-io#1903, keras#20116,
tensorflow#44462). Here the forward pass is *replayed* layer by layer: the
top-level layers are called in order, and the layer that contains the target
(the model itself or a nested backbone) is swapped for a small model that also
returns the target's activation. Models whose top level is not a chain fall
back to the functional route, which works for them since they are functional.

Example:
    heat = gradcam(model, image)           # HxW in [0, 1], at the image's size
    rgb = overlay(image, heat, alpha=0.4)  # core.inference.imaging
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import tensorflow as tf

from core.errors import WorkbenchError
from core.inference.imaging import resize_heatmap
from core.inference.predict import prepare_images

_SPATIAL = ("Conv", "Pooling", "BatchNormalization", "Activation", "ReLU", "Add")


def find_last_conv_layer(model: keras.Model) -> str:
    """The name of the last layer with a 2-D feature map, searching nested models.

    Convolutions are preferred; a nested backbone's name is prefixed
    (``mobilenetv2/out_relu``) so the caller can see where it lives.
    """
    found = _last_spatial(model, "")
    if found is None:
        raise WorkbenchError(
            "this model has no convolutional layer: Grad-CAM needs a 2-D feature map"
        )
    return found


def _last_spatial(model: keras.Model, prefix: str) -> str | None:
    for layer in reversed(model.layers):
        if isinstance(layer, keras.Model):
            inner = _last_spatial(layer, f"{prefix}{layer.name}/")
            if inner:
                return inner
            continue
        shape = _output_shape(layer)
        if shape is not None and len(shape) == 4 and "Conv" in type(layer).__name__:
            return prefix + layer.name
    return None


def _output_shape(layer: Any) -> tuple | None:
    try:
        return tuple(layer.output.shape)
    except (AttributeError, ValueError):
        return None


def gradcam(
    model: keras.Model,
    image: np.ndarray,
    class_index: int | None = None,
    layer: str | None = None,
) -> np.ndarray:
    """Grad-CAM heatmap for ``class_index`` (default: the predicted class).

    Args:
        model: any Keras image classifier (functional, Sequential, nested).
        image: one uint8 HxWxC image, any size; prepared as for prediction.
        class_index: the class to explain; for a one-unit sigmoid head, 1 is
            the positive class and 0 the negative one.
        layer: a layer name (``backbone/layer`` inside a nested model); the
            last convolution by default.

    Returns:
        float32 HxW in [0, 1] at the image's own size.
    """
    target = layer or find_last_conv_layer(model)
    x = tf.convert_to_tensor(prepare_images(model, [image]))
    with tf.GradientTape() as tape:
        activation, output = _forward(model, target, x)
        scores = _class_scores(output)
        chosen = int(tf.argmax(scores[0])) if class_index is None else class_index
        score = scores[:, chosen]
    grads = tape.gradient(score, activation)
    if grads is None:
        raise WorkbenchError(f"the class score does not depend on layer {target!r}")
    weights = tf.reduce_mean(grads, axis=(1, 2), keepdims=True)
    cam = tf.nn.relu(tf.reduce_sum(weights * activation, axis=-1))[0].numpy()
    top = float(cam.max())
    cam = cam / top if top > 0 else np.zeros_like(cam)
    return np.clip(resize_heatmap(cam, image.shape[:2]), 0.0, 1.0)


def _class_scores(output: tf.Tensor) -> tf.Tensor:
    """Per-class scores; one sigmoid unit becomes (1 - p, p)."""
    if output.shape[-1] == 1:
        return tf.concat([1.0 - output, output], axis=-1)
    return output


def _forward(
    model: keras.Model, target: str, x: tf.Tensor
) -> tuple[tf.Tensor, tf.Tensor]:
    """Run ``model`` on ``x`` and return (target activation, model output)."""
    head, _, rest = target.partition("/")
    if not rest:
        if _is_chain(model):
            return _replay(model, head, x, _itself)
        probe = keras.Model(
            model.inputs, [model.get_layer(head).output, model.outputs[0]]
        )
        activation, output = probe(x, training=False)
        return activation, output

    def inner(layer: keras.Layer, t: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        return _forward(layer, rest, t)

    return _replay(model, head, x, inner)


def _itself(layer: keras.Layer, t: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """The target is a top-level layer: its output is both activation and input."""
    y = layer(t, training=False)
    return y, y


def _replay(
    model: keras.Model, name: str, x: tf.Tensor, run_target: Any
) -> tuple[tf.Tensor, tf.Tensor]:
    activation = None
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        if layer.name == name:
            activation, x = run_target(layer, x)
        else:
            x = layer(x, training=False)
    if activation is None:
        raise WorkbenchError(f"no layer named {name!r} in {model.name}")
    return activation, x


def _is_chain(model: keras.Model) -> bool:
    """True when every top-level layer takes exactly the previous layer's output."""
    if isinstance(model, keras.Sequential):
        return True
    layers = [
        layer
        for layer in model.layers
        if not isinstance(layer, keras.layers.InputLayer)
    ]
    try:
        for previous, layer in zip([None, *layers[:-1]], layers, strict=True):
            inputs = layer.input if previous is not None else None
            if previous is not None and (
                isinstance(inputs, (list, tuple)) or inputs is not previous.output
            ):
                return False
    except (AttributeError, ValueError):
        return False
    return True
