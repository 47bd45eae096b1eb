"""Opening model files made here or elsewhere, safely.

Files load with ``safe_mode=True``: Keras then refuses to deserialise Python
lambdas, so a downloaded model cannot run code on load. A model containing a
Lambda layer is refused with an explanation instead of a traceback.

A model file is foreign input: whatever is wrong with it (not a model at all,
damaged, a model that does not take images) is told in one sentence that
names the file, never as Keras's own error.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import keras

from core.errors import WorkbenchError
from core.model_files.class_names import (
    class_count,
    first_line,
    read_class_names,
    sidecar_path,
)

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


def load_model_file(path: str | os.PathLike[str]) -> keras.Model:
    """A ``.keras`` or ``.h5`` image classifier, loaded without running foreign code.

    Raises:
        WorkbenchError: missing, a folder, not a model, unsafe (a Lambda
            layer), or a model that does not classify images.
    """
    p = Path(path)
    if p.is_dir():
        raise WorkbenchError(f"{p}: is a folder, not a Keras model file")
    if not p.is_file():
        raise WorkbenchError(f"{p}: no such model file")
    problem = _format_problem(p)
    if problem:
        raise WorkbenchError(f"{p.name}: not a Keras model file ({problem})")
    try:
        model = keras.models.load_model(p, compile=False, safe_mode=True)
    except ValueError as exc:
        text = str(exc)
        if "lambda" in text.lower() or "safe_mode" in text:
            raise WorkbenchError(
                f"{p.name} contains a Lambda layer, i.e. arbitrary Python code; "
                "it was refused and nothing was executed. Rebuild the model "
                "without Lambda layers to use it here."
            ) from None
        raise WorkbenchError(
            f"{p.name}: not a usable Keras model ({first_line(text)})"
        ) from None
    except Exception as exc:  # a damaged file can fail anywhere in Keras
        raise WorkbenchError(
            f"{p.name}: cannot be read as a Keras model ({first_line(str(exc))})"
        ) from None
    problem = image_classifier_problem(model)
    if problem:
        raise WorkbenchError(f"{p.name}: {problem}")
    return model


def image_classifier_problem(model: keras.Model) -> str | None:
    """Why ``model`` cannot classify images here, or None when it can.

    It must take one batch of images (height, width, channels: 1 or 3) and
    give one vector of class scores per image. Images are read here as
    grayscale or RGB only, so a 4-channel (RGBA) model is refused now rather
    than failing on its first image (``core.data.images.loader_channels``).
    """
    inputs, outputs = model.inputs or [], model.outputs or []
    if len(inputs) != 1 or len(outputs) != 1:
        return (
            f"the model has {len(inputs)} inputs and {len(outputs)} outputs; "
            "an image classifier has one of each"
        )
    shape = tuple(inputs[0].shape)
    if len(shape) != 4 or shape[3] not in (1, 3, 4):
        return (
            f"the model does not take images: its input shape is {shape}, "
            "not (batch, height, width, 1 or 3 channels)"
        )
    if shape[3] == 4:
        return (
            "the model takes 4-channel (RGBA) images, and images are read here as "
            "grayscale (1 channel) or RGB (3 channels) only: use a model made "
            "for 1 or 3 channels"
        )
    if len(outputs[0].shape) != 2 or not outputs[0].shape[-1]:
        return (
            f"the model does not classify: its output shape is "
            f"{tuple(outputs[0].shape)}, not (batch, classes)"
        )
    return None


def stored_class_names(
    model: keras.Model, path: str | os.PathLike[str]
) -> list[str] | None:
    """The class names kept with the model file (inside or beside it), if any.

    Raises:
        WorkbenchError: the names are unreadable or not one per class.
    """
    names = read_class_names(path)
    expected = class_count(model)
    if names is not None and len(names) != expected:
        p = Path(path)
        where = sidecar_path(p).name if sidecar_path(p).is_file() else p.name
        raise WorkbenchError(
            f"{where} holds {len(names)} class names but {p.name} has "
            f"{expected} classes"
        )
    return names


def _format_problem(path: Path) -> str | None:
    """Why ``path`` cannot be a model file, judged before Keras reads it."""
    if path.suffix == ".keras":
        if not zipfile.is_zipfile(path):
            return "not a zip archive"
        try:
            with zipfile.ZipFile(path) as archive:
                members = archive.namelist()
        except (OSError, zipfile.BadZipFile) as exc:
            return str(exc)
        if "config.json" not in members:
            return "a zip archive without a model's config.json"
        return None
    if path.suffix in (".h5", ".hdf5"):
        with path.open("rb") as handle:
            if handle.read(len(HDF5_SIGNATURE)) != HDF5_SIGNATURE:
                return "not an HDF5 file"
        return None
    return "it must end in .keras or .h5"
