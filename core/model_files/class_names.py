"""Class names that travel with a model file, and other facts read from one.

Class names go inside the `.keras` archive as an extra member ``MEMBER``;
Keras ignores members it does not know, so the file still loads with plain
``keras.models.load_model``. When the archive cannot take the member, they go
to a sidecar ``NAME.keras.json`` beside it; :func:`read_class_names` reads
either. Below training (a run's checkpoints carry the names) and inference
(exports and prediction read them): see docs/architecture.md.
"""

from __future__ import annotations

import json
import os
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import keras

from core.errors import WorkbenchError

MEMBER = "cnn_workbench.json"


def class_count(model: keras.Model) -> int:
    """How many classes the model tells apart; a one-unit sigmoid head has two."""
    units = int(model.outputs[0].shape[-1])
    return 2 if units == 1 else units


def generic_class_names(model: keras.Model) -> list[str]:
    """``class_0``, ``class_1``, ... one per class, for a model without names."""
    return [f"class_{i}" for i in range(class_count(model))]


def sidecar_path(path: str | os.PathLike[str]) -> Path:
    """``NAME.keras.json`` beside ``NAME.keras``."""
    p = Path(path)
    return p.with_name(p.name + ".json")


def write_class_names(path: str | os.PathLike[str], class_names: Sequence[str]) -> Path:
    """Store class names inside a `.keras` archive, else in its sidecar.

    Returns where they went: the model file itself or the sidecar. A stale
    sidecar from an earlier export is removed when the names fit inside.
    """
    payload = json.dumps({"class_names": list(class_names)})
    try:
        _write_member(path, payload)
    except (OSError, zipfile.BadZipFile, zipfile.LargeZipFile, ValueError):
        sidecar = sidecar_path(path)
        sidecar.write_text(payload, encoding="utf-8")
        return sidecar
    sidecar_path(path).unlink(missing_ok=True)
    return Path(path)


def _write_member(path: str | os.PathLike[str], payload: str) -> None:
    with zipfile.ZipFile(path, "a") as archive:
        if MEMBER not in archive.namelist():
            archive.writestr(MEMBER, payload)


def read_class_names(path: str | os.PathLike[str]) -> list[str] | None:
    """Class names stored in a `.keras` file (or its sidecar), if any."""
    p = Path(path)
    sidecar = sidecar_path(p)
    try:
        with zipfile.ZipFile(p) as archive:
            if MEMBER in archive.namelist():
                names = json.loads(archive.read(MEMBER))["class_names"]
                return checked_class_names(names, p.name)
    except (zipfile.BadZipFile, OSError, KeyError, TypeError, ValueError):
        pass
    if sidecar.is_file():
        try:
            names = json.loads(sidecar.read_text(encoding="utf-8"))["class_names"]
        except (OSError, KeyError, TypeError, ValueError) as exc:
            raise WorkbenchError(
                f"{sidecar.name}: no class names in it ({exc})"
            ) from None
        return checked_class_names(names, sidecar.name)
    return None


def checked_class_names(names: Any, where: str) -> list[str]:
    """``names`` when they are a list of distinct, non-empty texts.

    A sidecar is edited by hand: ``[1, null]`` once became the classes "1" and
    "None", and two equal names made two classes indistinguishable.

    Raises:
        WorkbenchError: naming ``where`` and the first bad entry.
    """
    if not isinstance(names, list):
        raise WorkbenchError(f"{where}: class_names must be a list of texts")
    seen: set[str] = set()
    for i, name in enumerate(names):
        if not isinstance(name, str) or not name.strip():
            raise WorkbenchError(
                f"{where}: class name {i + 1} is {json.dumps(name)}, not a "
                "non-empty text"
            )
        if name in seen:
            raise WorkbenchError(f"{where}: the class name {name!r} is given twice")
        seen.add(name)
    return list(names)


def first_line(text: str) -> str:
    """The first line of a library's message, short enough for one error line."""
    return text.strip().splitlines()[0][:200] if text.strip() else "no details"
