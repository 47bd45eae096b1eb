"""The quick scan of a big folder reads headers in chunks on every core.

The wall-clock figure for the 60,000-file CIFAR-10 folder is measured by
``bench/dataset_scan.py`` on an idle machine (docs/benchmarks.md). Wall time
on a shared test machine says little, so this test holds what makes that
figure possible, in CPU time: the headers are read by worker processes, and
this process spends far less CPU than reading them itself would. One task per
file on a thread pool failed both ways: every header was read under this
process's GIL, plus the pool's overhead per task.
"""

from __future__ import annotations

import io
import os
import resource
import time

import numpy as np
import pytest
from PIL import Image

from core.data.images import read_header
from core.data.scan import scan_folder

FILES = 24_000


@pytest.fixture(scope="module")
def big_folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("big")
    buf = io.BytesIO()
    Image.fromarray(np.full((32, 32, 3), 128, np.uint8)).save(buf, "JPEG")
    data = buf.getvalue()
    for c in range(4):
        folder = root / f"class_{c}"
        folder.mkdir()
        for i in range(FILES // 4):
            (folder / f"{i:05d}.jpg").write_bytes(data)
    return root


@pytest.mark.slow
def test_the_quick_scan_reads_headers_on_worker_processes(big_folder):
    if (os.cpu_count() or 1) < 2:
        pytest.skip("needs two cores")
    paths = sorted(str(p) for p in big_folder.rglob("*.jpg"))
    start = time.process_time()
    for p in paths:
        read_header(p)
    here = time.process_time() - start
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.process_time()
    scan = scan_folder(big_folder)
    parent = time.process_time() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    workers = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    assert sum(len(v) for v in scan.splits.values()) == FILES
    assert parent < 0.6 * here, (parent, here)
    assert workers > 0.5 * here, (workers, here)
