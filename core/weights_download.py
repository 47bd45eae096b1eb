"""ImageNet weights through Keras's own download and cache, with progress and cancel.

``keras.applications`` fetch their weights with ``keras.utils.get_file``, which
prints a console bar the GUI cannot show and cannot be cancelled. While
``reporting_downloads`` is active, a file Keras asks for that is not yet in its
cache is first fetched by ``core.data.download.download`` (progress, cancel, a
partial file never left under the final name) into the very path Keras would
use; Keras's own ``get_file`` then runs as usual, finds the file and checks its
hash. Nothing changes about where weights live or how Keras validates them.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from core.data.download import Progress, download

_LOCK = threading.Lock()  # get_file is module state: one wrapper at a time


@contextmanager
def reporting_downloads(
    progress: Progress | None, cancel: threading.Event | None = None
) -> Iterator[None]:
    """Route Keras's file downloads through ``download`` while the block runs."""
    from keras.src.backend.config import keras_home
    from keras.src.utils import file_utils

    original = file_utils.get_file

    def get_file(fname=None, origin=None, *args, **kwargs):  # Keras's signature
        folder = Path(kwargs.get("cache_dir") or keras_home()).expanduser()
        if not os.access(folder, os.W_OK):  # Keras falls back the same way
            folder = Path(tempfile.gettempdir()) / ".keras"
        target = folder / kwargs.get("cache_subdir", "datasets") / str(fname)
        if fname and origin and not target.exists():
            download(origin, target, Path(str(fname)).name, progress, cancel)
        return original(fname, origin, *args, **kwargs)

    with _LOCK:
        file_utils.get_file = get_file
        try:
            yield
        finally:
            file_utils.get_file = original
