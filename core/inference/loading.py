"""Opening model files made here or elsewhere, safely.

Files load with ``safe_mode=True``: Keras then refuses to deserialise Python
lambdas, so a downloaded model cannot run code on load. A model containing a
Lambda layer is refused with an explanation instead of a traceback.
"""

from __future__ import annotations

import os
from pathlib import Path

import keras

from core.errors import WorkbenchError


def load_model_file(path: str | os.PathLike[str]) -> keras.Model:
    """A ``.keras`` or legacy ``.h5`` model, loaded without running foreign code.

    Raises:
        WorkbenchError: missing, not a model, or unsafe (a Lambda layer).
    """
    p = Path(path)
    if not p.is_file():
        raise WorkbenchError(f"{p}: no such model file")
    if p.suffix not in (".keras", ".h5", ".hdf5"):
        raise WorkbenchError(f"{p.name}: not a Keras model file (.keras or .h5)")
    try:
        return keras.models.load_model(p, compile=False, safe_mode=True)
    except ValueError as exc:
        text = str(exc)
        if "lambda" in text.lower() or "safe_mode" in text:
            raise WorkbenchError(
                f"{p.name} contains a Lambda layer, i.e. arbitrary Python code; "
                "it was refused and nothing was executed. Rebuild the model "
                "without Lambda layers to use it here."
            ) from None
        raise WorkbenchError(
            f"{p.name}: not a usable Keras model ({text[:200]})"
        ) from None
    except (OSError, KeyError, TypeError) as exc:
        raise WorkbenchError(
            f"{p.name}: cannot be read as a Keras model ({exc})"
        ) from None
