"""Export: loads with plain Keras in a fresh process and predicts exactly alike."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from core.errors import WorkbenchError
from core.inference.export import export_keras
from core.inference.predict import prepare_images, probabilities
from core.model_files.class_names import read_class_names
from tests.core.inference.test_gradcam import app_model


def test_export_loads_anywhere_and_matches_the_app(tmp_path):
    model = app_model(3)
    path = export_keras(model, tmp_path / "shapes.keras", ["circle", "square", "star"])
    assert read_class_names(path) == ["circle", "square", "star"]
    raw = [
        np.random.default_rng(0).integers(0, 256, (48, 40, 3), dtype=np.uint8),
        np.random.default_rng(1).integers(0, 256, (32, 32, 3), dtype=np.uint8),
    ]
    app = [probabilities(model, prepare_images(model, [r]))[0] for r in raw]
    np.save(tmp_path / "raw0.npy", raw[0])
    np.save(tmp_path / "raw1.npy", raw[1])
    code = (
        "import os, json, numpy as np\n"
        "os.environ['TF_CPP_MIN_LOG_LEVEL'] = '3'\n"
        "import keras\n"
        f"m = keras.models.load_model({str(path)!r})\n"
        "out = [m.predict(np.load(f'{d}/raw{i}.npy')[None], verbose=0)[0].tolist()"
        f" for i, d in ((0, {str(tmp_path)!r}), (1, {str(tmp_path)!r}))]\n"
        "print(json.dumps([list(m.input_shape), out]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    shape, outside = json.loads(result.stdout.strip().splitlines()[-1])
    assert shape == [None, None, None, 3]
    for mine, theirs in zip(app, outside, strict=True):
        assert np.allclose(mine, theirs, atol=1e-6)


def test_export_refuses_wrong_names_and_suffix(tmp_path):
    model = app_model(3)
    with pytest.raises(WorkbenchError, match="3 classes but 2 names"):
        export_keras(model, tmp_path / "m.keras", ["a", "b"])
    with pytest.raises(WorkbenchError, match=r"must end in \.keras"):
        export_keras(model, tmp_path / "m.h5", ["a", "b", "c"])


def test_class_names_go_to_a_sidecar_when_the_archive_refuses_them(
    tmp_path, monkeypatch
):
    import core.model_files.class_names as class_names

    def refuse(path, payload):
        raise OSError("read-only archive")

    monkeypatch.setattr(class_names, "_write_member", refuse)
    path = export_keras(app_model(3), tmp_path / "m.keras", ["a", "b", "c"])
    sidecar = tmp_path / "m.keras.json"
    assert sidecar.is_file()
    assert json.loads(sidecar.read_text())["class_names"] == ["a", "b", "c"]
    assert read_class_names(path) == ["a", "b", "c"]
    # Names that fit inside later replace a stale sidecar.
    monkeypatch.undo()
    export_keras(app_model(3), tmp_path / "m.keras", ["x", "y", "z"])
    assert not sidecar.exists()
    assert read_class_names(path) == ["x", "y", "z"]


def test_sidecar_is_read_for_a_model_made_elsewhere(tmp_path):
    import keras

    from core.model_files.class_names import class_count, generic_class_names

    inputs = keras.Input((8, 8, 1))
    x = keras.layers.Flatten()(inputs)
    model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(x))
    path = tmp_path / "other.keras"
    model.save(path)
    assert read_class_names(path) is None
    assert class_count(model) == 2
    assert generic_class_names(model) == ["class_0", "class_1"]
    (tmp_path / "other.keras.json").write_text('{"class_names": ["cat", "dog"]}')
    assert read_class_names(path) == ["cat", "dog"]
    (tmp_path / "other.keras.json").write_text("{}")
    with pytest.raises(WorkbenchError, match="no class names"):
        read_class_names(path)
