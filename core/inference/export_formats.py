"""Export by format: the one place that knows what each export format needs.

The Export dialog and ``python -m core export`` both call ``export``, so a
format refuses the same sources with the same words everywhere: the model
formats (``.keras``, SavedModel, TFLite: ``core.inference.export``) need a
model with its class names; the Python script
(``core.inference.python_export``) needs the project's model spec, dataset
and settings, which an imported model alone does not have. Import-light: the
formats' modules (Keras, TensorFlow) load only when something is exported.

Example:
    source = ExportSource(model, ["cat", "dog"], "pets")
    export(source, "pets.tflite", "tflite")
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.errors import WorkbenchError
from core.inference.format_extras import missing_extra
from core.inference.output_paths import check_output_file, check_parent


@dataclass(frozen=True)
class ExportFormat:
    key: str
    title: str
    suffix: str  # "" for a folder
    help: str


FORMATS = (
    ExportFormat(
        "keras",
        "Keras model (.keras)",
        ".keras",
        "Any image size, raw 0-255 pixels; class names inside. "
        "Loads with keras.models.load_model.",
    ),
    ExportFormat(
        "saved_model",
        "TensorFlow SavedModel (folder)",
        "",
        "For TensorFlow Serving and TF tools; any image size, raw 0-255 pixels.",
    ),
    ExportFormat(
        "tflite",
        "TensorFlow Lite (.tflite)",
        ".tflite",
        "For phones and small devices; takes images at the model's input size.",
    ),
    ExportFormat(
        "tflite_int8",
        "TensorFlow Lite int8 (.tflite)",
        ".tflite",
        "Full-integer: uint8 pixels at the model's input size, about 4 times "
        "smaller; calibrated on training images, checked on the whole test split "
        "for the accuracy it loses.",
    ),
    ExportFormat(
        "onnx",
        "ONNX (.onnx)",
        ".onnx",
        "For onnxruntime and other ONNX tools; raw 0-255 pixels at the model's "
        "input size.",
    ),
    ExportFormat(
        "python",
        "Python script (.py)",
        ".py",
        "A short Keras script that rebuilds the model, loads the same data and "
        "trains it with the project's settings; the app's own code it uses is "
        "written beside it, in recipe/.",
    ),
)
FORMAT_KEYS = tuple(f.key for f in FORMATS)


@dataclass
class ExportSource:
    """What can be exported: a model with its class names, and/or a project."""

    model: Any | None = None  # a keras.Model
    class_names: list[str] | None = None
    name: str = "model"
    # The held-out images the export is verified on (and int8 calibrated on):
    # an open core.data.dataset.Dataset with the model's classes, else the
    # data recorded by the run folder the model came from; neither (an
    # imported model): "not verified".
    dataset: Any | None = None
    run: Path | None = None
    # A calibration temperature for the file to carry (core.temperature): the
    # logits divided by it before the softmax; None: the model as trained.
    temperature: float | None = None
    # (ModelSpec, DatasetSpec | None, TrainingConfig, AugmentationConfig)
    project: tuple | None = None
    no_model_reason: str = "No model: train one or import one first."
    no_project_reason: str = (
        "Only an imported model is open: the script needs the project's model, "
        "dataset and training settings."
    )

    def problem(self, key: str) -> str:
        """Why format ``key`` cannot be exported from this source; "" if it can."""
        if key == "python":
            return self.no_project_reason if self.project is None else ""
        if self.model is None:
            return self.no_model_reason
        if key == "tflite_int8" and self.dataset is None and self.run is None:
            return (
                "int8 calibrates on training images, and this model came with none "
                "(an imported model): export it from its run instead"
            )
        return missing_extra(key)


def tta_problem(key: str, tta: str) -> str:
    """Why format ``key`` cannot carry test-time augmentation ``tta``; "" if it can.

    Only the ``.keras`` file carries the views; the Python script evaluates
    with the project's own TTA setting.
    """
    if tta == "none" or key == "keras":
        return ""
    return (
        "test-time augmentation is carried by the .keras export only "
        f"(not {key}): choose the .keras format or no TTA"
    )


def format_for(path: str | os.PathLike[str]) -> str:
    """The format a file name asks for by its suffix; ``keras`` when none does."""
    suffix = Path(path).suffix
    return next((f.key for f in FORMATS if f.suffix and f.suffix == suffix), "keras")


# What a SavedModel folder holds: an earlier export may be replaced, nothing else.
SAVED_MODEL_FILE = "saved_model.pb"
# Files a run folder holds besides config.json (RunStore lists folders with one).
_RUN_FILES = ("run.json", "train.lock", "history.csv", "best.keras", "last.keras")
_FILE_SUFFIXES = {f.suffix for f in FORMATS if f.suffix} | {".json", ".h5", ".hdf5"}


def is_saved_model(folder: Path) -> bool:
    """Whether ``folder`` holds a SavedModel (one an export may replace)."""
    return (folder / SAVED_MODEL_FILE).is_file()


def check_target(target: Path, key: str) -> None:
    """Refuse, before anything is written, a target format ``key`` must not touch.

    The file name must end in the format's suffix (``export m.cnnwb.json
    --format python`` once wrote a script over the project file); a SavedModel
    folder may be new, empty or an earlier SavedModel, never a folder of other
    files it would silently mix into; nothing is written into a run folder,
    whose files the run's record and the app read.

    Raises:
        WorkbenchError: saying what to give instead.
    """
    fmt = next(f for f in FORMATS if f.key == key)
    if fmt.suffix:
        check_output_file(target, fmt.suffix)
    else:
        _check_saved_model_folder(target)
    run = _run_folder_around(target)
    if run is not None:
        raise WorkbenchError(
            f"{target} is inside the run folder {run}, whose files the run keeps: "
            "export to a path outside it"
        )


def _check_saved_model_folder(target: Path) -> None:
    if target.is_file():
        raise WorkbenchError(
            f"{target} is a file: a SavedModel is a folder, give a new folder name"
        )
    if target.suffix in _FILE_SUFFIXES:
        raise WorkbenchError(
            f"{target.name}: a SavedModel is a folder, not a {target.suffix} file: "
            "give a folder name"
        )
    if target.is_dir() and any(target.iterdir()) and not is_saved_model(target):
        raise WorkbenchError(
            f"{target} already holds other files: a SavedModel goes into a new or "
            "empty folder, or replaces an earlier SavedModel"
        )
    check_parent(target)


def _run_folder_around(target: Path) -> Path | None:
    """The run folder ``target`` would be written into, if any (at any depth)."""
    for folder in target.resolve().parents:
        if (folder / "config.json").is_file() and any(
            (folder / name).exists() for name in _RUN_FILES
        ):
            return folder
    return None


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote, and its verification (None for a Python script)."""

    path: Path
    verification: Any | None = None  # core.inference.verification.Verification


def export(
    source: ExportSource,
    path: str | os.PathLike[str],
    key: str,
    tta: str = "none",
    verify: bool = True,
    int8_threshold: float | None = None,
    cancel: threading.Event | None = None,
) -> ExportResult:
    """Write ``source`` to ``path`` as format ``key``, verified; what was written.

    The file is written to a temporary name, verified there (unless
    ``verify`` is False: ``core.inference.export_check``) and only then
    renamed into place; then its companions go beside it
    (``core.inference.export.write_companions``). ``tta`` (test-time
    augmentation, ``core.recipe.tta``) is carried by the ``.keras`` format
    only; ``source.temperature`` by every model format (with TTA, per view
    before the average); ``int8_threshold`` is the most accuracy points int8
    may lose.

    Raises:
        WorkbenchError: an unknown format, a source the format cannot use
            (``ExportSource.problem``), a ``tta`` the format does not carry,
            or a target that cannot be written.
        VerificationFailed: the written file does not predict as the model;
            nothing was renamed into place.
    """
    from core.inference import export as model_export
    from core.temperature import calibrated_model

    if key not in FORMAT_KEYS:
        raise WorkbenchError(
            f"unknown export format {key!r}: choose {', '.join(FORMAT_KEYS)}"
        )
    problem = source.problem(key) or tta_problem(key, tta)
    if problem:
        raise WorkbenchError(problem)
    target = Path(path)
    check_target(target, key)
    if key == "python":
        from core.inference.python_export import write_script

        return ExportResult(write_script(target, *source.project))
    from core.inference.export_data import ExportData

    model, carried = source.model, tta
    if source.temperature is not None:  # calibrated: the views inside, at T
        model, tta = calibrated_model(model, source.temperature, tta), "none"
    reference = {
        "keras": lambda: model_export.keras_export_model(model, tta),
        "saved_model": lambda: model_export.serving_model(model),
    }.get(key, lambda: model)()
    data = ExportData.of(source, key, verify, cancel)
    check = data.check(key, target, reference, int8_threshold, cancel)
    if key == "keras":
        written = model_export.export_keras(
            model, target, source.class_names or [], tta, check
        )
    elif key == "saved_model":
        written = model_export.export_saved_model(model, target, check)
    elif key == "tflite":
        written = model_export.export_tflite(model, target, check)
    elif key == "tflite_int8":
        from core.inference.lite_int8 import export_tflite_int8

        written = export_tflite_int8(model, target, data.sample, check)
    else:
        from core.inference.onnx_export import export_onnx

        written = export_onnx(model, target, check)
    verification = check.result if check is not None else data.unverified
    model_export.write_companions(written, source, verification, key, carried)
    return ExportResult(written, verification)
