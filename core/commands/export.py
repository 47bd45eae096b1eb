"""``python -m core export PROJECT_OR_RUN OUT``: take a trained model home.

PROJECT_OR_RUN is a project file (its newest run with a model is used) or a
run folder. The best model is exported when the run kept one, else the last.
The format is ``--format``'s, else OUT's suffix says it (``.tflite``,
``.py``), else a ``.keras`` file: it takes images of any size with raw 0-255
values and carries its class names (see ``core.inference.export``). OUT must
end in the format's suffix, and is never written inside a run folder. The
SavedModel format writes a folder: a new or empty one, or one holding an
earlier SavedModel, which it replaces. The Python script (``--format python``)
needs no trained run: it is written from the project's, or the run's
recorded, model, data and settings. The app's Export dialog writes the same
files (``core.inference.export_formats``).

Every model export is verified before it is kept: the file is written to a
temporary name, loaded in its own runtime (Keras in safe mode, TensorFlow's
SavedModel loader, the TFLite interpreter, onnxruntime) and scored against
the run's model on held-out images (the test split, else validation; 1,000
of them for a float format, all for int8). A float format must pick the same
class on every image and differ by at most 1e-4 in a probability; int8 reports
the accuracy it loses, overall and per class, and fails above
``--int8-max-drop`` points. Only a verified file is renamed into place (a
failed one leaves an earlier file of that name as it was, exit status 3);
its figures are printed and written beside it as NAME.verify.json. A model
whose data cannot be had is exported "not verified" (exit status 4).
``--no-verify`` skips the check.

``model.onnx`` writes ONNX (the ``onnx`` extra: pip install -e ".[onnx]");
``model.tflite --int8`` a full-integer TFLite file (uint8 pixels), calibrated
on a sample of the training split.

``--tta flip`` (or ``flip_shifts``) puts test-time augmentation into a
``.keras`` export: the file averages the probabilities over the image and its
mirror (and 2-pixel shifts), made of Keras's built-in layers only, so it still
loads with plain ``keras.models.load_model`` (safe mode) and predicts as the
app does with that TTA. The default, none, exports the model as it is.

``--calibrated`` carries the run's calibration temperature (fitted with
``python -m core evaluate RUN --calibrate`` or the Training page's Calibrate)
in any model format: the logits are divided by it before the softmax
(``Dense(linear) -> Rescaling(1/T) -> Activation``, still plain Keras), per
TTA view before the average. Every model export also writes its model card
beside it, ``NAME.card.md`` (``core.inference.model_card``).

Examples:
  python -m core export my.cnnwb.json model.keras
  python -m core export my.runs/20261129-120000-model model.tflite
  python -m core export my.cnnwb.json served --format saved_model
  python -m core export my.cnnwb.json train.py
  python -m core export my.runs/20261129-120000-model model.keras --tta flip
  python -m core export my.cnnwb.json model.onnx
  python -m core export my.cnnwb.json model.tflite --int8 --int8-max-drop 1
  python -m core export my.runs/20261129-120000-model model.keras --calibrated
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from core.errors import WorkbenchError
from core.inference.export_formats import (
    FORMAT_KEYS,
    ExportSource,
    check_target,
    format_for,
    is_saved_model,
    tta_problem,
)
from core.inference.format_extras import missing_extra
from core.training.config import TTA_MODES

# The file was written but could not be checked (an imported model's run kept
# no data, or its data moved): not an error, not a pass either.
EXIT_NOT_VERIFIED = 4
EXIT_FAILED = 3  # the verification failed: nothing was kept


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "export",
        help="export a trained model (.keras, SavedModel, TFLite, int8, ONNX), "
        "verified, or a Python script",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("source", help="a project file (.cnnwb.json) or a run folder")
    parser.add_argument("out", help="the file (or SavedModel folder) to write")
    parser.add_argument(
        "--format",
        choices=FORMAT_KEYS,
        help="the export format (default: from OUT's suffix, else keras)",
    )
    parser.add_argument(
        "--tta",
        choices=TTA_MODES,
        default="none",
        help="test-time augmentation the .keras file carries (default: none)",
    )
    parser.add_argument(
        "--int8",
        action="store_true",
        help="a full-integer (int8, uint8 pixels) TFLite file; OUT ends in .tflite",
    )
    parser.add_argument(
        "--int8-max-drop",
        type=float,
        metavar="POINTS",
        help="fail the int8 export when it loses more accuracy points than this",
    )
    parser.add_argument(
        "--calibrated",
        action="store_true",
        help="carry the run's calibration temperature (evaluate --calibrate fits it)",
    )
    parser.add_argument(
        "--no-verify",
        dest="verify",
        action="store_false",
        help="keep the file without checking it against the model",
    )
    parser.add_argument(
        "--verbose", action="store_true", help="show TensorFlow's own log lines"
    )
    parser.set_defaults(func=run, uses_tensorflow=True)


def trained_model_path(source: Path) -> tuple[Path, list[str]]:
    """The model file and class names of the run ``source`` names."""
    from core.runs import Run, RunStore

    if source.is_dir():
        found = Run(source).kept_model()
    elif source.is_file():
        found = RunStore.beside(source).newest_model()
    else:
        raise WorkbenchError(f"{source}: no such project file or run folder")
    if found is not None:
        return found
    raise WorkbenchError(
        f"{source.name} has no trained run yet: train it first "
        f"(python -m core train {source}), then export"
    )


def project_of(source: Path) -> tuple:
    """(model spec, dataset spec, training, augmentation) of a project or run."""
    from core.project import load_project
    from core.runs import Run
    from core.training.resume import read_inputs

    if source.is_dir():
        inputs = read_inputs(Run(source))
        return inputs.spec, inputs.data_spec, inputs.training, inputs.augmentation
    if not source.is_file():
        raise WorkbenchError(f"{source}: no such project file or run folder")
    project = load_project(source)
    return project.model, project.dataset, project.training, project.augmentation


def export_key(args: argparse.Namespace) -> str:
    """``--format``, else OUT's suffix says the format; ``--int8`` makes it int8."""
    key = args.format or format_for(args.out)
    if args.int8:
        if key not in ("tflite", "tflite_int8"):
            raise WorkbenchError(
                f"--int8 makes a TFLite file: give a name ending in .tflite, not {key}"
            )
        return "tflite_int8"
    if args.int8_max_drop is not None and key != "tflite_int8":
        raise WorkbenchError("--int8-max-drop applies to an --int8 export only")
    return key


def calibrated_temperature(model_path: Path) -> float:
    """The temperature the run recorded for ``model_path``, for ``--calibrated``."""
    from core.run_calibration import file_temperature

    temperature = file_temperature(model_path)
    if temperature is None:
        run = model_path.parent
        raise WorkbenchError(
            f"{run.name} has no calibration for its {model_path.name}: fit one with "
            f"python -m core evaluate {run} --calibrate"
        )
    return temperature


def run(args: argparse.Namespace) -> int:
    from core.inference.export_check import VerificationFailed
    from core.inference.export_formats import export
    from core.model_files.loading import load_model_file

    source, key = Path(args.source), export_key(args)
    problem = tta_problem(key, args.tta) or missing_extra(key)
    if problem:
        raise WorkbenchError(problem)
    if key == "python" and args.calibrated:
        raise WorkbenchError("--calibrated applies to a model export, not a script")
    if key == "python":
        out = export(ExportSource(project=project_of(source)), args.out, key).path
        print(f"exported {source} as a Python script to {out}")
        return 0
    check_target(Path(args.out), key)  # before the model is loaded
    replacing = key == "saved_model" and is_saved_model(Path(args.out))
    model_path, classes = trained_model_path(source)
    model = ExportSource(load_model_file(model_path), classes, run=model_path.parent)
    if args.calibrated:
        model.temperature = calibrated_temperature(model_path)
    try:
        done = export(model, args.out, key, args.tta, args.verify, args.int8_max_drop)
    except VerificationFailed as exc:  # a failed job, not a user error: status 3
        print("\n".join(exc.verification.lines()))
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    verb = "replaced the earlier SavedModel in" if replacing else "to"
    carried = "" if args.tta == "none" else f", test-time augmentation {args.tta}"
    if model.temperature is not None:
        carried += f", calibrated at temperature {model.temperature:.4f}"
    print(f"exported {model_path} {verb} {done.path} ({len(classes)} classes{carried})")
    print("\n".join(done.verification.lines()))
    if args.verify and not done.verification.passed:
        return EXIT_NOT_VERIFIED
    return 0
