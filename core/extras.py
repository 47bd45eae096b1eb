"""Optional packages (pyproject's extras): whether one is installed, and how to add it.

A package is found without importing it (``importlib.util.find_spec``): some
import TensorFlow (seconds), and the GUI asks on its own thread which choices
to offer. Whoever needs an extra says why in its own words and ends with the
install command from here, so every refusal names the same command form.
"""

from __future__ import annotations

import importlib.util


def installed(package: str) -> bool:
    """Whether ``package`` can be imported here, without importing it."""
    try:
        return importlib.util.find_spec(package) is not None
    except (ImportError, ValueError):  # a None in sys.modules: import blocked
        return False


def install_command(extra: str) -> str:
    """The command that installs pyproject's extra ``extra`` into this checkout."""
    return f'pip install -e ".[{extra}]"'
