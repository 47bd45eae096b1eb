"""Loading TensorFlow for the command line without its start-up log.

TensorFlow 2.21 writes oneDNN, CUDA and CPU-instruction lines to file
descriptor 2 from C++ when it is imported and when it first looks for GPUs
(cuInit), and ``TF_CPP_MIN_LOG_LEVEL`` alone does not silence the ones logged
before absl is initialised. So the import and the first device query run with
descriptor 2 pointed at a temporary file; the captured text is kept, to be
shown with ``--verbose`` or when the command fails.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
import tempfile
from collections.abc import Iterator

_captured: list[str] = []


@contextlib.contextmanager
def _stderr_to_file() -> Iterator[None]:
    """Point descriptor 2 (C++ and Python alike) at a temp file for the block."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as log:
        os.dup2(log.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            log.seek(0)
            _captured.append(log.read().decode("utf-8", "replace"))


def load_tensorflow(verbose: bool = False) -> None:
    """Import TensorFlow and Keras now; quietly unless ``verbose``.

    Called once by a command before it touches Keras. A second call does
    nothing. Already imported (a test, a script) means nothing to hide.
    """
    if "tensorflow" in sys.modules:
        return
    if verbose:
        importlib.import_module("keras")
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with _stderr_to_file():
        importlib.import_module("keras")
        import tensorflow as tf

        # cuInit logs here, not at import. No op runs yet: device settings
        # (memory growth, logical devices, a multi-worker strategy) must
        # still be possible afterwards.
        tf.config.list_physical_devices("GPU")


def startup_log() -> str:
    """What TensorFlow printed while it was loaded quietly (empty otherwise)."""
    return "".join(_captured)
