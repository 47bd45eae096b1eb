"""Big folders are read on spawned workers: same answers, in order, and cancellable."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from PIL import Image

from core.data.scan import map_chunked, read_headers
from core.errors import DatasetError


@pytest.fixture
def files(tmp_path):
    paths = []
    for i in range(60):
        path = tmp_path / f"{i:02d}.png"
        Image.fromarray(np.zeros((i + 1, 2), np.uint8)).save(path)
        paths.append(str(path))
    (tmp_path / "bad.png").write_bytes(b"junk")
    return [*paths, str(tmp_path / "bad.png")]


def test_workers_give_the_in_process_answers_in_order(files):
    here = map_chunked(read_headers, files, 10**9, 7, "{done} of {total}")
    seen = []
    there = map_chunked(
        read_headers,
        files,
        0,
        7,
        "{done} of {total}",
        progress=lambda fraction, text: seen.append(fraction),
        processes=2,
    )
    assert there == here
    assert [h.height for h in there[:60]] == list(range(1, 61))
    assert there[60] == "not an image (unknown format)"
    assert seen[-1] == 1.0


def test_cancel_stops_the_workers(files):
    cancel = threading.Event()

    def progress(fraction, text):
        cancel.set()  # after the first chunk arrives

    with pytest.raises(DatasetError, match="cancelled"):
        map_chunked(read_headers, files, 0, 1, "", progress, cancel, processes=2)
