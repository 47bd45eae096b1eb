"""A run folder is trained by one process at a time.

Two processes training into one folder (the app and ``python -m core train
--resume``, or two terminals) would interleave checkpoints, backups and the
history CSV. The lock is an OS advisory lock on ``train.lock`` in the run
folder: the kernel drops it when the process dies, even by SIGKILL, so a
crashed run never stays locked. The file records who holds it, for the
message the second process gets.
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Iterator
from pathlib import Path

from core.errors import WorkbenchError

LOCK_NAME = "train.lock"

if os.name == "nt":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        return True


class RunLocked(WorkbenchError):
    """Another process is training in this run folder."""


@contextlib.contextmanager
def locked_run(folder: str | Path) -> Iterator[None]:
    """Hold the run folder's lock for the block, or raise RunLocked at once."""
    path = Path(folder) / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        if not _try_lock(fd):
            holder = os.read(fd, 200).decode("utf-8", "replace").strip()
            raise RunLocked(
                f"{Path(folder).name} is being trained by another process"
                f"{f' ({holder})' if holder else ''}: wait for it to end or stop it"
            )
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()} on {socket.gethostname()}".encode())
        yield
    finally:
        os.close(fd)
