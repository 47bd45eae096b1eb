"""Export as Python: a short, runnable Keras script of the project.

For users who move on to code: the model rebuilt layer by layer with the
functional API (the same names and options as in the app), the same dataset,
and ``model.fit`` with the project's optimizer, batch size and epochs. It needs
only Keras (and NumPy for folder datasets), not this app.
"""

from __future__ import annotations

import inspect

from core.backbone_builder import stable_layer_names
from core.backbones import (
    WEIGHTS_NONE,
    backbone_info,
    backbone_size,
    effective_freeze,
    preprocessing_steps,
    unfrozen_layers,
)
from core.data.spec import DatasetSpec
from core.spec import LayerSpec, ModelSpec
from core.training.config import TrainingConfig

_LOADERS = {
    "mnist": "keras.datasets.mnist.load_data()",
    "fashion-mnist": "keras.datasets.fashion_mnist.load_data()",
    "cifar10": "keras.datasets.cifar10.load_data()",
}


def python_script(
    spec: ModelSpec, dataset: DatasetSpec | None, training: TrainingConfig
) -> str:
    """The script's text; ``build_model()`` inside returns the app's exact model."""
    stack = list(spec.layers)
    backbone = _backbone_code(spec, stack.pop(0)) if spec.backbone else []
    layers = "\n".join(
        backbone
        + [
            f"    x = keras.layers.{layer.class_name}({_args(layer.keras_config())})(x)"
            for layer in (*stack, spec.head.layer())
        ]
    )
    h, w, c = spec.input.shape
    title = f"{spec.name}: exported from CNN Workbench. Run: python {spec.name}.py"
    # The app's names for the backbone's layers, which its freezing uses.
    naming = f"\n\n{inspect.getsource(stable_layer_names)}" if backbone else ""
    return f'''"""{title}"""

import keras
{naming}

def build_model():
    inputs = keras.Input(shape=({h}, {w}, {c}), name="image")
    x = inputs
{layers}
    return keras.Model(inputs, x, name={spec.name!r})


def load_data():
{_data_code(dataset, spec)}


def main():
    (x_train, y_train), (x_test, y_test) = load_data()
    model = build_model()
    model.summary()
    model.compile(
        optimizer=keras.optimizers.{_optimizer(training)},
        loss={spec.head.loss!r},
        metrics=["accuracy"],
    )
    model.fit(
        x_train,
        y_train,
        batch_size={training.batch_size},
        epochs={training.epochs},
        validation_split=0.1,
    )
    print(model.evaluate(x_test, y_test, return_dict=True))
    model.save({spec.name + ".keras"!r})


if __name__ == "__main__":
    main()
'''


def _args(config: dict) -> str:
    return ", ".join(f"{key}={value!r}" for key, value in config.items())


def _optimizer(training: TrainingConfig) -> str:
    lr = training.learning_rate
    if training.optimizer == "sgd":
        return (
            f"SGD(learning_rate={lr}, momentum={training.momentum}, "
            f"nesterov={training.nesterov})"
        )
    if training.optimizer == "rmsprop":
        return f"RMSprop(learning_rate={lr})"
    if training.optimizer == "adamw":
        return f"AdamW(learning_rate={lr}, weight_decay={training.weight_decay})"
    return f"Adam(learning_rate={lr})"


def _backbone_code(spec: ModelSpec, layer: LayerSpec) -> list[str]:
    """The backbone as the app builds it: stock preprocessing layers, the
    ``keras.applications`` base on them, its weights and freezing."""
    from core.backbone_table import backbone_table

    config = layer.config
    arch = config["architecture"]
    info = backbone_info(arch)
    lines = [f"    # Backbone {layer.name!r}: keras.applications.{arch}"]
    for step in preprocessing_steps(layer.name, config, spec.input.channels):
        if step.kind == "to_rgb":
            lines.append(
                f"    x = keras.layers.Concatenate(name={step.name!r})([x, x, x])"
            )
        else:
            args = _args({**step.options, "name": step.name})
            lines.append(f"    x = keras.layers.{step.class_name}({args})(x)")
    weights = None if config["weights"] == WEIGHTS_NONE else config["weights"]
    lines += [
        f"    base = keras.applications.{arch}(include_top=False, "
        f"weights={weights!r}, input_tensor=x)",
        f"    stable_layer_names(base, {arch!r})",
    ]
    if weights is not None and info.bgr:
        lines += [
            "    # The weights expect BGR: reverse the first kernel's input channels.",
            "    first = next(l for l in base.layers if isinstance(l, "
            "keras.layers.Conv2D))",
            "    kernel, bias = first.get_weights()",
            "    first.set_weights([kernel[:, :, ::-1, :], bias])",
        ]
    h, w = backbone_size(config, spec.input.height, spec.input.width)
    table = backbone_table(arch, h, w)
    unfrozen = unfrozen_layers(
        [r.name for r in table.rows],
        [r.class_name for r in table.rows],
        effective_freeze(config),
    )
    lines += [
        f"    unfrozen = {unfrozen!r}  # BatchNormalization always stays frozen",
        "    for layer in base.layers:",
        "        layer.trainable = layer.name in unfrozen",
        "    x = base.output",
    ]
    return lines


def _data_code(dataset: DatasetSpec | None, spec: ModelSpec) -> str:
    h, w, c = spec.input.shape
    if dataset is not None and dataset.kind == "builtin" and dataset.name in _LOADERS:
        reshape = (
            "\n    x_train, x_test = x_train[..., None], x_test[..., None]"
            if c == 1
            else ""
        )
        return (
            "    (x_train, y_train), (x_test, y_test) = "
            f"{_LOADERS[dataset.name]}{reshape}\n"
            "    return (x_train, y_train), (x_test, y_test)"
        )
    folder = dataset.path if dataset is not None and dataset.path else "path/to/images"
    mode = "grayscale" if c == 1 else "rgb"
    return (
        "    # A folder with one sub-folder per class\n"
        f"    # (the app's dataset: {folder!r}).\n"
        f"    def load(split):\n"
        f"        ds = keras.utils.image_dataset_from_directory(\n"
        f"            {folder!r}, image_size=({h}, {w}), color_mode={mode!r},\n"
        f"            batch_size=None, validation_split=0.2, subset=split, seed=0)\n"
        f"        images, labels = zip(*ds.as_numpy_iterator())\n"
        f"        import numpy as np\n"
        f"        return np.stack(images), np.array(labels)\n"
        f"    return load('training'), load('validation')"
    )
