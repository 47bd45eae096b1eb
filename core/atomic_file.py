"""Files a user keeps, written whole or not at all, with the permissions a save gives.

A temporary file in the target's folder is written, then ``os.replace``d over
the target, so readers see the old file or the new one, never half (the
temporary lives beside the target because ``os.replace`` is atomic only within
one file system). ``tempfile.mkstemp`` makes its file 0600, private to the
user: renamed into place, a project, a run's files or an exported model
would then be unreadable to the group a shared model folder is for. So the
temporary file gets the mode a plain ``open(path, "w")`` would give a new
file (0666 less the umask), or, when it replaces a file, that file's mode.

The umask is read once, when this module is imported: reading it means
setting it, and it is process-wide, so doing so later could race with another
thread creating a file.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path


def _read_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _read_umask()


def new_file_mode() -> int:
    """The permissions ``open(path, "w")`` gives a new file in this process."""
    return 0o666 & ~_UMASK


def new_folder_mode() -> int:
    """The permissions ``os.mkdir(path)`` gives a new folder in this process."""
    return 0o777 & ~_UMASK


def temporary_beside(target: Path, suffix: str = ".tmp") -> Path:
    """An empty temporary file in ``target``'s folder, with the mode ``target``
    has (or a new file would get); the caller writes it and ``os.replace``s it.

    Raises:
        OSError: the folder cannot be written.
    """
    fd, name = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=suffix, dir=target.parent
    )
    try:
        try:
            mode = stat.S_IMODE(os.stat(target).st_mode)
        except OSError:  # no file to replace yet
            mode = new_file_mode()
        os.fchmod(fd, mode)
    except BaseException:
        os.close(fd)
        os.unlink(name)
        raise
    os.close(fd)
    return Path(name)


def write_atomic(target: Path, text: str) -> None:
    """Replace ``target`` with ``text`` so readers see the old file or the new one."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_beside(target)
    try:
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
