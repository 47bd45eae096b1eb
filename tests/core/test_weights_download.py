"""ImageNet weights: the app's table, its download with progress, and clear failures.

Nothing here reaches the internet: downloads come from ``file://`` URLs of
files the test writes, and "offline" is a refused local port.
"""

from __future__ import annotations

import hashlib
import importlib.util
import threading
from dataclasses import replace
from pathlib import Path

import keras
import numpy as np
import pytest

from core import weights_download
from core.backbones import BACKBONES
from core.errors import DatasetError, WeightsError
from core.model_builder import build_model
from core.weights_download import (
    IMAGENET_NOTOP,
    imagenet_weights,
    reporting_downloads,
    weights_folder,
)
from tests.core.test_backbones import backbone_spec

OFFLINE = "http://127.0.0.1:9/"  # nothing listens on the discard port


@pytest.fixture(autouse=True)
def _keras_home(tmp_path, monkeypatch):
    """An empty Keras cache, so no test finds weights a real run left behind."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))


def serve(monkeypatch, architecture: str, source: Path, **changes) -> None:
    """Make the table fetch ``source`` (a local file) for ``architecture``."""
    digest = hashlib.md5(source.read_bytes()).hexdigest()
    entry = replace(
        IMAGENET_NOTOP[architecture],
        url=source.as_uri(),
        file_hash=digest,
        hash_algorithm="md5",
        **changes,
    )
    monkeypatch.setitem(IMAGENET_NOTOP, architecture, entry)


def test_every_backbone_has_a_weights_file_that_keras_own_source_lists():
    spec = importlib.util.find_spec("keras")
    assert spec is not None
    assert spec.origin is not None
    # Read as text: the app never imports keras.src.
    sources = Path(spec.origin).parent / "src" / "applications"
    text = "".join(p.read_text(encoding="utf-8") for p in sources.glob("*.py"))
    assert set(IMAGENET_NOTOP) == set(BACKBONES)
    for architecture, entry in IMAGENET_NOTOP.items():
        assert entry.architecture == architecture
        assert entry.url.endswith("/" + entry.file_name)
        folder = entry.url.rsplit("/", 2)[1] + "/"  # vgg16/, convnext/, ...
        assert folder in text
        assert entry.keras_version
        if entry.file_hash is None:
            assert entry.hash_algorithm is None
            continue
        assert entry.file_hash in text
        assert len(entry.file_hash) == {"md5": 32, "sha256": 64}[entry.hash_algorithm]


def test_a_missing_file_is_downloaded_once_with_progress(tmp_path, monkeypatch):
    source = tmp_path / "weights.h5"
    source.write_bytes(b"w" * 300_000)
    serve(monkeypatch, "VGG16", source)
    seen: list[tuple[float, str]] = []
    with reporting_downloads(lambda f, m: seen.append((f, m))):
        path = imagenet_weights("VGG16")
    assert path == weights_folder() / IMAGENET_NOTOP["VGG16"].file_name
    assert path.parent == tmp_path / "keras" / "models"  # Keras's own cache
    assert path.read_bytes() == source.read_bytes()
    assert seen[-1][0] == pytest.approx(1.0)
    assert IMAGENET_NOTOP["VGG16"].file_name in seen[-1][1]
    seen.clear()
    with reporting_downloads(lambda f, m: seen.append((f, m))):
        assert imagenet_weights("VGG16") == path
    assert seen == []  # cached


def test_a_damaged_download_is_refused_and_deleted(tmp_path, monkeypatch):
    source = tmp_path / "weights.h5"
    source.write_bytes(b"w" * 1000)
    serve(monkeypatch, "VGG16", source)
    damaged = replace(IMAGENET_NOTOP["VGG16"], file_hash="0" * 32)
    monkeypatch.setitem(IMAGENET_NOTOP, "VGG16", damaged)
    with pytest.raises(WeightsError, match="damaged"):
        imagenet_weights("VGG16")
    assert not (weights_folder() / damaged.file_name).exists()


def test_offline_is_one_clear_message_and_leaves_no_file(monkeypatch):
    entry = replace(IMAGENET_NOTOP["VGG16"], url=OFFLINE + "vgg16_notop.h5")
    monkeypatch.setitem(IMAGENET_NOTOP, "VGG16", entry)
    with pytest.raises(DatasetError, match="could not download"):
        imagenet_weights("VGG16")
    with pytest.raises(WeightsError) as info:
        build_model(backbone_spec("VGG16", weights="imagenet"))
    message = str(info.value)
    assert "offline" in message
    assert "local weights file" in message
    assert "Traceback" not in message
    assert list(weights_folder().iterdir()) == []


def test_a_cancelled_download_is_not_reported_as_offline(tmp_path, monkeypatch):
    source = tmp_path / "big.h5"
    source.write_bytes(b"w" * 300_000)
    serve(monkeypatch, "VGG16", source)
    cancel = threading.Event()
    cancel.set()
    with reporting_downloads(None, cancel), pytest.raises(WeightsError) as info:
        build_model(backbone_spec("VGG16", weights="imagenet"))
    assert "cancelled" in str(info.value)
    assert "offline" not in str(info.value)
    assert list(weights_folder().iterdir()) == []


def test_downloaded_imagenet_weights_load_through_the_public_weights_argument(
    tmp_path, monkeypatch
):
    keras.utils.set_random_seed(1)
    source = keras.applications.MobileNetV2(
        include_top=False, weights=None, input_shape=(32, 32, 3)
    )
    saved = tmp_path / "mobilenet.weights.h5"
    source.save_weights(saved)
    serve(monkeypatch, "MobileNetV2", saved, file_name="mobilenet_v2.weights.h5")
    model = build_model(backbone_spec("MobileNetV2", weights="imagenet"))
    np.testing.assert_array_equal(
        model.get_layer("Conv1").get_weights()[0],
        source.get_layer("Conv1").get_weights()[0],
    )


def test_no_keras_src_anywhere_in_the_app():
    root = Path(weights_download.__file__).resolve().parents[1]
    for folder in ("core", "desktop"):
        for path in (root / folder).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            assert "import keras.src" not in text, path
            assert "from keras.src" not in text, path
