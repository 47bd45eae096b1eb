"""Export: a `.keras` file that loads anywhere and predicts exactly as the app does.

The exported model takes images of any size with raw 0-255 values, input shape
``(None, None, channels)``, and resizes inside with a stock ``Resizing`` layer
before the trained model (which rescales itself). Prediction in the app goes
through this same serving model, so ``keras.models.load_model(path).predict``
on raw uint8 images gives exactly the app's probabilities. Training's
augmentation is never part of it; test-time augmentation is when asked for
(``tta``): the views and their mean, made of built-in layers
(``core.recipe.tta``), so the file still loads with plain
``keras.models.load_model`` in safe mode and predicts as the app's TTA does.

Class names travel inside the `.keras` archive as an extra member
``cnn_workbench.json``; Keras ignores members it does not know, so the file
still loads with plain ``keras.models.load_model`` (a test proves it). When the
archive cannot take the member (it cannot be reopened for appending, or a
future Keras rejects unknown members), the names go to a sidecar
``NAME.keras.json`` beside it instead; :func:`read_class_names` reads either.

The file is written to a temporary name in the target folder and renamed into
place, so a failed export (full disk, no permission) leaves no partial file
and never damages a model already there.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import keras

from core.atomic_file import temporary_beside
from core.errors import WorkbenchError
from core.inference.output_activation import output_activation
from core.inference.output_paths import check_output_file
from core.inference.verification import Verification, write_verification
from core.model_files.class_names import (
    class_count,
    first_line,
    sidecar_path,
    write_class_names,
)
from core.tta import with_tta

# Reads a written file before it is renamed into place; raises to keep it out.
Check = Callable[[Path], None]


def serving_model(model: keras.Model) -> keras.Model:
    """``model`` behind a resize from any input size; the app predicts with it.

    The inner call is pinned to ``training=False``: behind a ``Resizing`` layer a
    plain call ran Dropout in training mode, so the exported model (``.keras``
    and SavedModel alike) gave a different answer on every call.
    """
    _, h, w, c = model.inputs[0].shape
    if h is None or w is None:
        return model
    inputs = keras.Input((None, None, c), name="raw_image")
    x = keras.layers.Resizing(h, w, interpolation="bilinear", name="resize")(inputs)
    return keras.Model(inputs, model(x, training=False), name=f"{model.name}_serving")


def export_keras(
    model: keras.Model,
    path: str | os.PathLike[str],
    class_names: Sequence[str],
    tta: str = "none",
    check: Check | None = None,
) -> Path:
    """Write the serving model with its class names inside; returns the path.

    With ``tta`` other than ``none`` the file averages the probabilities over
    its views (a model that outputs logits gets its softmax or sigmoid per
    view first, so the file outputs probabilities). ``check`` (the
    verification) reads the written file before it is renamed into place.

    Raises:
        WorkbenchError: a target that is a folder, in a missing folder, not
            ``.keras``, or that cannot be written; a model the views cannot
            wrap (one that takes any size); nothing is left behind.
    """
    target = Path(path)
    check_output_file(target, ".keras")
    expected = class_count(model)
    if len(class_names) != expected:
        raise WorkbenchError(
            f"the model has {expected} classes but {len(class_names)} names were given"
        )
    serving = keras_export_model(model, tta)
    try:
        temporary = temporary_beside(target, ".keras")
    except OSError as exc:
        raise WorkbenchError(f"cannot write {target}: {exc.strerror}") from None
    try:
        serving.save(temporary)
        inside = write_class_names(temporary, class_names) == temporary
        if check is not None:
            check(temporary)
        os.replace(temporary, target)
        if inside:
            sidecar_path(target).unlink(missing_ok=True)  # a stale one
        else:
            os.replace(sidecar_path(temporary), sidecar_path(target))
    except OSError as exc:
        raise WorkbenchError(f"cannot write {target}: {exc.strerror}") from None
    finally:
        temporary.unlink(missing_ok=True)
        sidecar_path(temporary).unlink(missing_ok=True)
    return target


def keras_export_model(model: keras.Model, tta: str = "none") -> keras.Model:
    """What the ``.keras`` file holds: the serving model, with any TTA views."""
    if tta != "none":
        model = with_tta(model, tta, output_activation(model).applied)
    return serving_model(model)


def export_saved_model(
    model: keras.Model, folder: str | os.PathLike[str], check: Check | None = None
) -> Path:
    """A TensorFlow SavedModel of the serving model (any size, raw 0-255 input).

    Written into a temporary folder beside ``folder`` and renamed into place,
    so a failed export (or a failed ``check`` of the written folder) leaves an
    earlier SavedModel whole; the earlier one is removed only once the new one
    is complete. ``core.inference.export_formats``
    has already refused a folder holding anything but an earlier SavedModel.
    """
    from core.atomic_file import new_folder_mode
    from core.tf_runtime import quietly

    target = Path(folder)
    try:
        temporary = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
        os.chmod(temporary, new_folder_mode())  # mkdtemp's 0700 is private
    except OSError as exc:
        raise WorkbenchError(f"cannot write {target}: {exc.strerror}") from None
    earlier = temporary.with_name(temporary.name + ".earlier")
    try:
        with quietly():
            serving_model(model).export(
                str(temporary), format="tf_saved_model", verbose=False
            )
        if check is not None:
            check(temporary)
        if target.exists():
            os.replace(target, earlier)
        try:
            os.replace(temporary, target)
        except OSError:
            if earlier.exists():  # put the earlier one back before reporting
                os.replace(earlier, target)
            raise
    except OSError as exc:
        raise WorkbenchError(f"cannot write {target}: {exc.strerror}") from None
    except WorkbenchError:  # the check's verdict, as it said it
        raise
    except Exception as exc:  # TensorFlow's own file errors are not OSError
        raise WorkbenchError(f"cannot write {target}: {first_line(str(exc))}") from None
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
        shutil.rmtree(earlier, ignore_errors=True)
    return target


def export_tflite(
    model: keras.Model, path: str | os.PathLike[str], check: Check | None = None
) -> Path:
    """A TFLite flatbuffer of the fixed-size model (raw 0-255 input at its size).

    TFLite runtimes want fixed input shapes, so this takes images already
    resized to the model's input size; the model still rescales inside. The
    converter's own lines (about 20 on stdout) are kept out of the command
    line's output (``core.tf_runtime.quietly``).
    """
    import tensorflow as tf

    from core.tf_runtime import quietly

    with quietly():
        flatbuffer = tf.lite.TFLiteConverter.from_keras_model(model).convert()
    return write_file(
        Path(path), lambda temporary: temporary.write_bytes(flatbuffer), check
    )


def write_file(
    target: Path, write: Callable[[Path], object], check: Check | None = None
) -> Path:
    """``write`` a temporary file beside ``target``, ``check`` it, rename it into place.

    A failed write or check leaves no temporary file and ``target`` as it was.
    """
    try:
        temporary = temporary_beside(target, target.suffix)
    except OSError as exc:
        raise WorkbenchError(f"cannot write {target}: {exc.strerror}") from None
    try:
        write(temporary)
        if check is not None:
            check(temporary)
        os.replace(temporary, target)
    except OSError as exc:
        raise WorkbenchError(f"cannot write {target}: {exc.strerror}") from None
    finally:
        temporary.unlink(missing_ok=True)
    return target


def write_companions(
    target: Path,
    source: Any,
    verification: Verification,
    key: str = "keras",
    tta: str = "none",
) -> None:
    """The files that go beside an export once it is in place.

    The one place for them (``core.inference.export_formats.export`` calls
    it after the verification passed or was not run): ``NAME.verify.json``,
    the verification's figures, then ``NAME.card.md``, the model card that
    cites them (``core.inference.model_card``). ``source`` is the
    ``ExportSource`` the file was made from, ``key`` its format and ``tta``
    the views it carries.
    """
    from core.inference.model_card import write_card

    write_verification(target, verification)
    write_card(
        target,
        source.model,
        list(source.class_names or []),
        source.run,
        key,
        source.temperature,
        tta,
    )
