"""Ending the process without Python's slow teardown of TensorFlow."""

from __future__ import annotations

import atexit
import os
import sys
from typing import NoReturn


def leave(code: int) -> NoReturn:
    """End the process with ``code`` once the caller's work is done and written.

    Python's own exit would then tear down every object the process made:
    after TensorFlow has loaded, a full collection over its millions of
    objects, then every module and TensorFlow's C++ statics. That took 5 to 70 s
    after the app's window had gone (measured on a busy machine), and about
    10 s after ``python -m core train`` printed its last line. Callers call this
    only when nothing is left to save: the app's window has stopped and waited
    for every worker, a command has returned, and runs write their files as
    they go. What an exit would still do is done here: the exit handlers run
    (the log file's flush among them) and the standard streams are flushed.
    """
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            stream.flush()
    os._exit(code)
