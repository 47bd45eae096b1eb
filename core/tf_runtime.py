"""Loading TensorFlow for the command line without its start-up log.

TensorFlow 2.21 writes oneDNN, CUDA and CPU-instruction lines to file
descriptor 2 from C++ when it is imported and when it first looks for GPUs
(cuInit), and ``TF_CPP_MIN_LOG_LEVEL`` alone does not silence the ones logged
before absl is initialised. So the import and the first device query run with
descriptor 2 pointed at a temporary file; the captured text is kept, to be
shown with ``--verbose`` or when the command fails. Later chatty steps (the
TFLite converter prints about 20 lines to stdout and logs from C++) run in
:func:`quietly`, which does the same for both descriptors unless ``--verbose``.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import os
import sys
import tempfile
from collections.abc import Iterator

_captured: list[str] = []
# Set by the command line (load_tensorflow); the app's output is left alone,
# since swapping process-wide descriptors from a worker thread would swallow
# the GUI thread's own lines.
_quiet = False


@contextlib.contextmanager
def _descriptors_to_file(fds: tuple[int, ...] = (2,)) -> Iterator[None]:
    """Point descriptors ``fds`` (C++ and Python alike) at a temp file for the block.

    ``sys.stdout``/``sys.stderr`` are swapped too, for Python code writing to
    them when they are not the descriptors (pytest's capture, an IDE console).
    """
    streams = {1: "stdout", 2: "stderr"}
    for fd in fds:
        getattr(sys, streams[fd]).flush()
    saved = {fd: os.dup(fd) for fd in fds}
    text = io.StringIO()
    with tempfile.TemporaryFile(mode="w+b") as log, contextlib.ExitStack() as swap:
        for fd in fds:
            os.dup2(log.fileno(), fd)
            redirect = (
                contextlib.redirect_stdout if fd == 1 else contextlib.redirect_stderr
            )
            swap.enter_context(redirect(text))
        try:
            yield
        finally:
            swap.close()
            for fd in fds:
                getattr(sys, streams[fd]).flush()
                os.dup2(saved[fd], fd)
                os.close(saved[fd])
            log.seek(0)
            _captured.append(log.read().decode("utf-8", "replace") + text.getvalue())


@contextlib.contextmanager
def quietly() -> Iterator[None]:
    """Keep TensorFlow's own output (stdout and stderr) for ``--verbose`` or a failure.

    Only on the command line without ``--verbose``; elsewhere it shows as it comes.
    """
    if not _quiet:
        yield
        return
    with _descriptors_to_file((1, 2)):
        yield


def load_tensorflow(verbose: bool = False) -> None:
    """Import TensorFlow and Keras now; quietly unless ``verbose``.

    Called once by a command before it touches Keras. A second call does
    nothing. Already imported (a test, a script) means nothing to hide.
    """
    global _quiet
    _quiet = not verbose
    if "tensorflow" in sys.modules:
        return
    if verbose:
        importlib.import_module("keras")
        return
    # 3, not 2: TensorFlow 2.21 also logs at ERROR level from C++ while a run
    # trains ("Tensor RefCount not reliable if buf_ points to a SubBuffer":
    # 444 lines in one epoch of airbench94's network on CIFAR-10's JPEGs, 28 on
    # the 700-image folder) about nothing the user can act on; a real failure
    # reaches the command as a Python exception. --verbose shows them all.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with _descriptors_to_file():
        importlib.import_module("keras")
        import tensorflow as tf

        # cuInit logs here, not at import. No op runs yet: device settings
        # (memory growth, logical devices, a multi-worker strategy) must
        # still be possible afterwards.
        tf.config.list_physical_devices("GPU")


def startup_log() -> str:
    """What TensorFlow printed while it was loaded quietly (empty otherwise)."""
    return "".join(_captured)
