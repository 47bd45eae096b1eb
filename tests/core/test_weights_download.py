"""Keras's weight downloads go through the app's downloader while asked to."""

from __future__ import annotations

import threading

import pytest
from keras.src.utils import file_utils

from core.errors import DatasetError
from core.weights_download import reporting_downloads


def test_a_missing_file_is_fetched_with_progress_into_keras_cache(tmp_path):
    (tmp_path / "keras").mkdir()  # Keras uses /tmp/.keras for a folder it can't write
    source = tmp_path / "weights_notop.h5"
    source.write_bytes(b"w" * 300_000)
    seen: list[tuple[float, str]] = []
    original = file_utils.get_file
    with reporting_downloads(lambda f, m: seen.append((f, m))):
        path = file_utils.get_file(
            "weights_notop.h5",
            source.as_uri(),
            cache_subdir="models",
            cache_dir=str(tmp_path / "keras"),
        )
    assert file_utils.get_file is original  # restored afterwards
    target = tmp_path / "keras" / "models" / "weights_notop.h5"
    assert path == str(target)
    assert target.read_bytes() == source.read_bytes()
    assert seen
    assert seen[-1][0] == pytest.approx(1.0)
    assert "weights_notop.h5" in seen[-1][1]


def test_a_cached_file_is_not_fetched_again(tmp_path):
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "w.h5").write_bytes(b"cached")
    seen = []
    with reporting_downloads(lambda f, m: seen.append(f)):
        path = file_utils.get_file(
            "w.h5",
            "http://127.0.0.1:9/w.h5",
            cache_subdir="models",
            cache_dir=str(tmp_path),
        )
    assert seen == []
    assert path == str(tmp_path / "models" / "w.h5")


def test_offline_and_cancel_fail_with_a_message_and_leave_no_file(tmp_path):
    with reporting_downloads(None), pytest.raises(DatasetError, match="could not"):
        file_utils.get_file("w.h5", "http://127.0.0.1:9/w.h5", cache_dir=str(tmp_path))
    source = tmp_path / "big.h5"
    source.write_bytes(b"w" * 300_000)
    cancel = threading.Event()
    cancel.set()
    with reporting_downloads(None, cancel), pytest.raises(DatasetError, match="cancel"):
        file_utils.get_file("big.h5", source.as_uri(), cache_dir=str(tmp_path))
    assert list((tmp_path / "datasets").iterdir()) == []


def test_a_cancelled_weights_download_is_not_reported_as_offline(monkeypatch):
    import core.backbone_builder as builder
    from core.errors import DownloadCancelled, WeightsError

    def cancelled(*args, **kwargs):
        raise DownloadCancelled("download of vgg16_notop.h5 cancelled")

    monkeypatch.setattr(builder, "make_base", cancelled)
    with pytest.raises(WeightsError) as info:
        builder._load_pretrained(None, "VGG16", "imagenet", (32, 32))
    assert "cancelled" in str(info.value)
    assert "offline" not in str(info.value)
