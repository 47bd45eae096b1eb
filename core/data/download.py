"""Downloading dataset files with progress, cancel, and an honest failure message.

Keras's own ``get_file`` prints a console progress bar the GUI cannot show and
has no cancel, so files are fetched here into the same Keras cache folders;
Keras finds them there afterwards. A partial download never reaches the final
name (it is written beside it and renamed when complete).
"""

from __future__ import annotations

import os
import threading
import urllib.request
from collections.abc import Callable
from pathlib import Path

from core.errors import DatasetError, DownloadCancelled

Progress = Callable[[float, str], None]
CHUNK = 1 << 16


def keras_cache_dir() -> Path:
    """``$KERAS_HOME/datasets`` or ``~/.keras/datasets``, as Keras resolves it."""
    home = os.environ.get("KERAS_HOME") or os.path.join(
        os.path.expanduser("~"), ".keras"
    )
    return Path(home) / "datasets"


def download(
    url: str,
    target: Path,
    what: str,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    timeout: float = 20.0,
) -> Path:
    """Fetch ``url`` into ``target`` and return it.

    Raises:
        DatasetError: the download failed or was cancelled; the message names
            the file and the reason (offline, refused, ...).
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            total = int(response.headers.get("Content-Length") or 0)
            done = 0
            with open(partial, "wb") as out:
                while chunk := response.read(CHUNK):
                    out.write(chunk)
                    done += len(chunk)
                    if cancel is not None and cancel.is_set():
                        raise DownloadCancelled(f"download of {what} cancelled")
                    if progress:
                        fraction = done / total if total else 0.0
                        progress(fraction, f"downloading {what}: {done / 1e6:.1f} MB")
        os.replace(partial, target)
    except DatasetError:
        partial.unlink(missing_ok=True)
        raise
    except (OSError, ValueError) as exc:
        partial.unlink(missing_ok=True)
        reason = getattr(exc, "reason", None) or exc
        raise DatasetError(f"could not download {what} from {url} ({reason})") from None
    return target
