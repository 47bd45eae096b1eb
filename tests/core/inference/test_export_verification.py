"""Every export format proves itself: written, loaded in its own runtime, scored.

A tiny model on tiny made-up data (three classes told apart by brightness):
each float format agrees with the model on every held-out image and differs
by at most 1e-4; int8 loses at most ``INT8_MAX_DROP`` points on them; a file
broken on purpose is caught and the earlier file of that name is kept.
"""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest

from core.data.dataset import Dataset, Split
from core.errors import WorkbenchError
from core.inference import export as model_export
from core.inference.export_check import VerificationFailed
from core.inference.export_formats import ExportSource, export
from core.inference.verification import FLOAT_TOLERANCE, score_int8, verify_path
from core.model_builder import build_model
from tests.tiny_model import tiny_spec

CLASSES = ["dark", "mid", "light"]
SIZE = 16
# int8 on 60 held-out images of a model that separates the classes well: the
# quantized file may lose at most this many accuracy points (measured: 0).
INT8_MAX_DROP = 5.0


def _split(count: int, seed: int) -> Split:
    rng = np.random.default_rng(seed)
    labels = np.arange(count) % len(CLASSES)
    base = labels[:, None, None, None] * 100 + 20
    noise = rng.integers(0, 30, (count, SIZE, SIZE, 3))
    return Split(labels, (base + noise).astype(np.uint8))


def tiny_data() -> Dataset:
    return Dataset(
        "tiny",
        list(CLASSES),
        {"train": _split(90, 1), "validation": _split(0, 2), "test": _split(60, 3)},
    )


@pytest.fixture(scope="module")
def trained():
    keras.utils.set_random_seed(0)
    model = build_model(tiny_spec(len(CLASSES), SIZE))
    data = tiny_data()
    train = data.splits["train"]
    model.compile(keras.optimizers.Adam(0.03), "sparse_categorical_crossentropy")
    model.fit(train.images.astype("float32"), train.labels, epochs=60, verbose=0)
    return model, data


def source(trained) -> ExportSource:
    model, data = trained
    return ExportSource(model, list(CLASSES), "tiny", dataset=data)


FLOAT_FORMATS = [
    ("keras", "m.keras"),
    ("saved_model", "m_saved"),
    ("tflite", "m.tflite"),
    ("onnx", "m.onnx"),
]


@pytest.mark.parametrize(
    ("key", "name"), FLOAT_FORMATS, ids=[k for k, _ in FLOAT_FORMATS]
)
def test_each_float_format_agrees_with_the_model(trained, tmp_path, key, name):
    done = export(source(trained), tmp_path / name, key)
    v = done.verification
    assert v.status == "passed", v.lines()
    assert v.split == "test"
    assert v.images == 60
    assert v.agreement == 1.0
    assert v.max_difference <= FLOAT_TOLERANCE
    written = json.loads(verify_path(done.path).read_text())
    assert written["status"] == "passed"
    assert written["format"] == key
    # beside the file (a SavedModel: beside the folder), nothing left over
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [name, name + ".verify.json", name + ".card.md"]
    )


def test_int8_loses_at_most_the_stated_drop(trained, tmp_path):
    done = export(source(trained), tmp_path / "m.tflite", "tflite_int8")
    v = done.verification
    assert v.status == "passed", v.lines()
    assert v.images == 60  # the whole test split
    assert v.drop_points <= INT8_MAX_DROP, v.lines()
    assert [c.name for c in v.per_class] == CLASSES
    assert v.model_accuracy > 0.9  # the model separates the classes
    import tensorflow as tf

    details = tf.lite.Interpreter(model_path=str(done.path)).get_input_details()
    assert details[0]["dtype"] == np.uint8


def test_an_int8_drop_above_the_threshold_fails_naming_the_classes():
    reference = np.eye(3)[[0, 1, 2, 0, 1, 2]]
    exported = np.eye(3)[[0, 1, 2, 0, 0, 0]]  # "mid" and "light" lose one each
    v = score_int8(
        "tflite_int8",
        "test",
        reference,
        exported,
        np.array([0, 1, 2] * 2),
        CLASSES,
        threshold_points=1.0,
    )
    assert v.status == "failed"
    assert v.only_model_right == 2
    assert v.only_export_right == 0
    assert "mid (50.0)" in v.reason
    assert "light (50.0)" in v.reason
    assert "dark" not in v.reason


def breaking(write_file):
    """``write_file`` that zeroes 64 bytes in the middle of what it writes."""

    def broken_write_file(target, write, check=None):
        def broken(temporary):
            write(temporary)
            data = bytearray(temporary.read_bytes())
            data[len(data) // 2 : len(data) // 2 + 64] = bytes(64)  # weights zeroed
            temporary.write_bytes(bytes(data))

        return write_file(target, broken, check)

    return broken_write_file


def test_a_broken_file_is_caught_and_the_earlier_file_is_kept(
    trained, tmp_path, monkeypatch
):
    out = tmp_path / "m.tflite"
    out.write_bytes(b"the user's earlier model")
    monkeypatch.setattr(model_export, "write_file", breaking(model_export.write_file))
    with pytest.raises(VerificationFailed) as caught:
        export(source(trained), out, "tflite")
    assert caught.value.verification.status == "failed"
    assert "the earlier m.tflite is unchanged" in str(caught.value)
    assert out.read_bytes() == b"the user's earlier model"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.tflite"]


def test_a_model_with_no_data_is_exported_not_verified(trained, tmp_path):
    model, _ = trained
    done = export(ExportSource(model, list(CLASSES)), tmp_path / "m.keras", "keras")
    assert done.verification.status == "not verified"
    assert "no images" in done.verification.reason
    assert done.path.is_file()


def test_int8_without_training_images_is_refused(trained, tmp_path):
    model, _ = trained
    with pytest.raises(WorkbenchError, match="calibrates on training images"):
        export(ExportSource(model, list(CLASSES)), tmp_path / "m.tflite", "tflite_int8")
    assert not any(tmp_path.iterdir())


def test_a_missing_onnx_extra_is_refused_in_one_line(trained, tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "tf2onnx", None)  # as if not installed
    with pytest.raises(WorkbenchError, match=r'pip install -e "\.\[onnx\]"'):
        export(source(trained), tmp_path / "m.onnx", "onnx")
