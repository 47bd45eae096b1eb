"""Where the app's bundled resources and the user's own files live.

Kept in one place so tests can redirect user files with environment variables
(``CNN_WORKBENCH_DATA_DIR``) instead of writing into the real home folder.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP_DIR_NAME = "cnn-workbench"


def resources_dir() -> Path:
    """The ``resources/`` folder beside the packages (icons, styles, presets)."""
    return Path(__file__).resolve().parent.parent / "resources"


def user_data_dir() -> Path:
    """Logs, recovery files and dataset caches: per user, created on demand."""
    override = os.environ.get("CNN_WORKBENCH_DATA_DIR")
    if override:
        base = Path(override)
    elif sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home())) / APP_DIR_NAME
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support" / APP_DIR_NAME
    else:
        xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
        base = Path(xdg) / APP_DIR_NAME
    base.mkdir(parents=True, exist_ok=True)
    return base
