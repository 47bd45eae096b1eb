"""Export as Python (rebuilds the same model) and TFLite/SavedModel exports."""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import replace

import keras
import numpy as np
import tensorflow as tf

from core.data.spec import DatasetSpec
from core.inference.export import export_keras, export_saved_model, export_tflite
from core.inference.python_export import python_script, ship_recipe
from core.model_builder import build_model
from core.presets import preset
from core.spec import InputSpec
from core.summary import summarize
from core.training.config import TrainingConfig
from tests.core.inference.test_gradcam import app_model
from tests.core.training.test_two_phase import spec as two_phase_spec


def load_script(tmp_path, text):
    """The script as a module, with the recipe beside it as the export writes it."""
    ship_recipe(tmp_path)
    path = tmp_path / "exported.py"
    path.write_text(text)
    spec = importlib.util.spec_from_file_location("exported", path)
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(tmp_path))  # as `python exported.py` would have it
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(tmp_path))
    return module


def test_python_script_rebuilds_the_same_model(tmp_path):
    for name, dataset in (
        ("fashion-mnist-cnn", DatasetSpec(name="fashion-mnist")),
        (
            "cats-vs-dogs-small",
            DatasetSpec(kind="folder", name="pets", path="/data/pets"),
        ),
    ):
        spec = preset(name)
        text = python_script(spec, dataset, TrainingConfig(optimizer="sgd", epochs=7))
        compile(text, "exported.py", "exec")
        module = load_script(tmp_path, text)
        model = module.build_model()
        assert model.count_params() == summarize(spec).total
        assert [layer.name for layer in model.layers[1:]] == [
            r.name for r in summarize(spec).layers
        ]
        assert "EPOCHS = 7" in text
        assert "'optimizer': 'sgd'" in text  # compiled by the recipe, as in the app


def test_tflite_and_saved_model(tmp_path):
    model = app_model(3)
    image = np.random.default_rng(0).integers(0, 256, (1, 32, 32, 3)).astype("float32")
    expected = model(image, training=False).numpy()
    path = export_tflite(model, tmp_path / "m.tflite")
    interpreter = tf.lite.Interpreter(model_path=str(path))
    interpreter.allocate_tensors()
    interpreter.set_tensor(interpreter.get_input_details()[0]["index"], image)
    interpreter.invoke()
    got = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
    assert np.allclose(got, expected, atol=1e-5)
    folder = export_saved_model(model, tmp_path / "saved")
    assert (folder / "saved_model.pb").is_file()


def test_python_script_rebuilds_a_backbone_model(tmp_path):
    spec = preset("vgg16-cifar10-transfer").with_backbone_options(
        weights="none", freeze="from_layer", unfreeze_from="block5_conv1"
    )
    text = python_script(spec, DatasetSpec(name="cifar10"), TrainingConfig())
    model = load_script(tmp_path, text).build_model()
    summary = summarize(spec)
    assert model.count_params() == summary.total == 14_916_426
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    assert trainable == summary.trainable == 7_280_138
    assert [layer.name for layer in model.layers[1:]] == [
        r.name for r in summary.flat_layers()
    ]


def _saved_model_answer(folder, images):
    loaded = tf.saved_model.load(str(folder))  # kept alive while it runs
    return np.asarray(loaded.serve(tf.constant(images)))


def _tflite_answer(path, image):
    interpreter = tf.lite.Interpreter(model_path=str(path))
    interpreter.allocate_tensors()
    interpreter.set_tensor(interpreter.get_input_details()[0]["index"], image)
    interpreter.invoke()
    return interpreter.get_tensor(interpreter.get_output_details()[0]["index"])


def test_exports_with_dropout_answer_like_the_app_on_every_call(tmp_path):
    # A plain call of an exported model must not run Dropout in training mode.
    model = build_model(preset("fashion-mnist-cnn"))
    images = np.random.default_rng(0).integers(0, 256, (2, 28, 28, 1)).astype("float32")
    expected = model(images, training=False).numpy()
    path = export_keras(model, tmp_path / "f.keras", [str(i) for i in range(10)])
    loaded = keras.models.load_model(path)
    for _ in range(2):
        assert np.allclose(loaded(images).numpy(), expected, atol=1e-6)
    folder = export_saved_model(model, tmp_path / "saved")
    for _ in range(2):
        assert np.allclose(_saved_model_answer(folder, images), expected, atol=1e-6)


def test_backbone_model_exports_to_tflite_and_saved_model(tmp_path):
    model = build_model(
        preset("vgg16-cifar10-transfer").with_backbone_options(weights="none")
    )
    images = np.random.default_rng(0).integers(0, 256, (2, 32, 32, 3)).astype("float32")
    expected = model(images, training=False).numpy()
    assert not np.allclose(expected[0], expected[1], atol=1e-4)  # input matters
    lite = _tflite_answer(export_tflite(model, tmp_path / "v.tflite"), images[:1])
    assert np.allclose(lite, expected[:1], atol=1e-5)
    folder = export_saved_model(model, tmp_path / "saved")
    assert np.allclose(_saved_model_answer(folder, images), expected, atol=1e-5)


def test_python_script_trains_the_same_xception_layers_as_the_app(tmp_path):
    # Xception has automatically named layers (conv2d, conv2d_1, ...); the app
    # renames them, and the script must too, or its freezing misses them.
    spec = replace(two_phase_spec(), input=InputSpec(71, 71, 3))
    spec = spec.with_backbone_options(architecture="Xception", freeze="none")
    text = python_script(spec, DatasetSpec(name="cifar10"), TrainingConfig())
    model = load_script(tmp_path, text).build_model()
    summary = summarize(spec)
    assert "xception_conv2d_1" in [layer.name for layer in model.layers]
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    assert trainable == summary.trainable
