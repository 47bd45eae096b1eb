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

METHODS = ("gradcam", "gradcam++")
NO_CONVOLUTION = (
    "this model has no 2-D convolutional layer: Grad-CAM and Insight need "
    "its 2-D feature maps (prediction still works)"
)


def find_last_conv_layer(model: keras.Model) -> str:
    """The name of the last layer with a 2-D feature map, searching nested models.

    Convolutions are preferred; a nested backbone's name is prefixed
    (``mobilenetv2/out_relu``) so the caller can see where it lives.
    """
    found = _last_spatial(model, "")
    if found is None:
        raise WorkbenchError(NO_CONVOLUTION)
    return found


def conv_layer_names(model: keras.Model, prefix: str = "") -> list[str]:
    """Every 2-D convolution, in order, nested ones as ``backbone/layer``: the choices.

    Only layers with 2-D feature maps (a 4-D output) count: a Conv1D has
    nothing Grad-CAM or a filter pattern could show.
    """
    names: list[str] = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            names += conv_layer_names(layer, f"{prefix}{layer.name}/")
        elif _is_conv2d(layer):
            names.append(prefix + layer.name)
    return names


def _is_conv2d(layer: keras.Layer) -> bool:
    shape = output_shape(layer)
    return shape is not None and len(shape) == 4 and "Conv" in type(layer).__name__


def _last_spatial(model: keras.Model, prefix: str) -> str | None:
    for layer in reversed(model.layers):
        if isinstance(layer, keras.Model):
            inner = _last_spatial(layer, f"{prefix}{layer.name}/")
            if inner:
                return inner
            continue
        if _is_conv2d(layer):
            return prefix + layer.name
    return None


def output_shape(layer: Any) -> tuple | None:
    """``layer``'s output shape, or None for a layer that has no single output."""
    try:
        return tuple(layer.output.shape)
    except (AttributeError, ValueError):
        return None


class Explainer:
    """Prediction and Grad-CAM for one model and layer, in one compiled call.

    Built once per (model, layer): the probe models are created here and the
    forward pass, the gradient and the weighted sum run in a single
    ``tf.function``, which is what makes predict + Grad-CAM cost little more
    than a forward pass (``bench/predict_latency.py``).
    """

    def __init__(
        self, model: keras.Model, layer: str | None = None, method: str = "gradcam"
    ) -> None:
        if method not in METHODS:
            raise WorkbenchError(
                f"unknown method {method!r}; use {' or '.join(METHODS)}"
            )
        self.model = model
        self.method = method
        self.layer = layer or find_last_conv_layer(model)
        self._forward = forward_function(model, self.layer)
        self._step = tf.function(self._compute, reduce_retracing=True)

    def _compute(
        self, x: tf.Tensor, class_index: tf.Tensor
    ) -> tuple[tf.Tensor, tf.Tensor]:
        with tf.GradientTape() as tape:
            activation, output = self._forward(x)
            scores = _class_scores(output)
            chosen = tf.where(
                class_index < 0, tf.argmax(scores[0], output_type=tf.int32), class_index
            )
            score = scores[:, chosen]
        grads = tape.gradient(score, activation)
        if self.method == "gradcam++":
            weights = _gradcam_plus_plus_weights(grads, activation)
        else:
            weights = tf.reduce_mean(grads, axis=(1, 2), keepdims=True)
        cam = tf.nn.relu(tf.reduce_sum(weights * activation, axis=-1))[0]
        top = tf.reduce_max(cam)
        cam = tf.where(top > 0, cam / top, tf.zeros_like(cam))
        return scores[0], cam

    def __call__(
        self, image: np.ndarray, class_index: int | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(class probabilities, heatmap HxW in [0, 1] at the image's size)``."""
        x = tf.convert_to_tensor(prepare_images(self.model, [image]))
        index = tf.constant(-1 if class_index is None else class_index, tf.int32)
        probs, cam = self._step(x, index)
        heat = np.clip(resize_heatmap(cam.numpy(), image.shape[:2]), 0.0, 1.0)
        return probs.numpy(), heat


def _gradcam_plus_plus_weights(grads: tf.Tensor, activation: tf.Tensor) -> tf.Tensor:
    """Grad-CAM++ (Chattopadhyay et al. 2018): pixel-weighted positive gradients.

    Better than plain Grad-CAM when a class appears several times in an image.
    """
    g2, g3 = grads**2, grads**3
    total = tf.reduce_sum(activation, axis=(1, 2), keepdims=True)
    denominator = 2.0 * g2 + total * g3
    alpha = g2 / tf.where(denominator != 0.0, denominator, tf.ones_like(denominator))
    return tf.reduce_sum(alpha * tf.nn.relu(grads), axis=(1, 2), keepdims=True)


def gradcam(
    model: keras.Model,
    image: np.ndarray,
    class_index: int | None = None,
    layer: str | None = None,
    method: str = "gradcam",
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
    return Explainer(model, layer, method)(image, class_index)[1]


def _class_scores(output: tf.Tensor) -> tf.Tensor:
    """Per-class scores; one sigmoid unit becomes (1 - p, p)."""
    if output.shape[-1] == 1:
        return tf.concat([1.0 - output, output], axis=-1)
    return output


def forward_function(model: keras.Model, target: str):
    """A function x -> (target activation, model output), probes built now."""
    head, _, rest = target.partition("/")
    if not rest:
        if _is_chain(model):
            return lambda x: _replay(model, head, x, _itself)
        probe = keras.Model(
            model.inputs, [model.get_layer(head).output, model.outputs[0]]
        )
        return lambda x: tuple(probe(x, training=False))
    inner = forward_function(model.get_layer(head), rest)
    return lambda x: _replay(model, head, x, lambda _layer, t: inner(t))


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
