"""``python -m core evaluate RUN_DIR_OR_MODEL``: test figures of a trained model.

A run folder is evaluated on the data its ``config.json`` records, with the
run's model: its best model when it kept one, else its final weights. The
figures are also written to the run's ``evaluations/`` folder, named by when
and which model, beside (never over) the ``evaluation.json`` the run
recorded when it ended. A
model file, or a run with ``--dataset``, is evaluated on the data named there:
a built-in dataset's test set, or a folder (its ``test/`` sub-folder when it
has one, else every image in it); a run's own data moved to that folder (its
fingerprint matches) is split as the run recorded. Prints accuracy, loss,
top-k (only where k is below the number of classes), per-class
precision/recall/F1 and the confusion matrix; ``--json`` prints them for
machines.

``--tta`` averages the probabilities over views of each test image
(test-time augmentation: ``flip`` 2 views, ``flip_shifts`` 6; see
``core.recipe.tta``). A run folder uses its own setting unless ``--tta``
overrides it; a model file uses none unless given. Every figure, the
per-class ones and the confusion matrix too, is then the averaged one.

The expected calibration error (ECE, 15 equal-width confidence bins: how far
the model's confidence is from its accuracy) is printed with the figures, and
``--json`` holds the reliability diagram's bins (``calibration``).

When the project's exclusion list left out or relabelled test images, the
figures are the cleaned test split's, and the split as given is reported
beside them (``as given`` in the text, ``as_given`` in the JSON): leaving
hard images out inflates a test figure.
``--calibrate`` first fits one temperature on the run's validation split
(``core.inference.calibration``) and records it in the run; a run that
recorded one is evaluated at its temperature (``temperature`` in the output),
as the Prediction page and a calibrated export predict.

Examples:
  python -m core evaluate my.runs/20261129-120000-model
  python -m core evaluate model.keras --dataset ~/pets-test --json
  python -m core evaluate model.keras --dataset fashion-mnist
  python -m core evaluate my.runs/20261129-120000-model --tta flip
  python -m core evaluate my.runs/20261129-120000-model --calibrate
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from core.data.builtin import BUILTIN_NAMES
from core.errors import WorkbenchError
from core.training.config import TTA_MODES


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "evaluate",
        help="test accuracy, per-class figures and confusion matrix of a model",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("source", help="a run folder, or a .keras/.h5 model file")
    parser.add_argument(
        "--dataset",
        metavar="NAME_OR_FOLDER",
        help=f"{', '.join(BUILTIN_NAMES)}, or a folder (required for a model file)",
    )
    parser.add_argument(
        "--tta",
        choices=TTA_MODES,
        help="test-time augmentation: average over the image and its mirror "
        "(flip) or also 2-pixel shifts (flip_shifts); default: a run's own "
        "setting, none for a model file",
    )
    parser.add_argument(
        "--calibrate",
        action="store_true",
        help="fit the run's temperature on its validation split first and record "
        "it (a run folder only)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument(
        "--verbose", action="store_true", help="show TensorFlow's own log lines"
    )
    parser.set_defaults(func=run, uses_tensorflow=True)


def run(args: argparse.Namespace) -> int:
    from core.run_model import run_model
    from core.runs import Run
    from core.training.resume import moved_data
    from core.training.run_evaluation import evaluate_run

    source = Path(args.source)
    fitted = _calibrated(source) if args.calibrate else None
    tested = run_model(source) if source.is_dir() else None
    moved = None
    if source.is_dir() and args.dataset is not None:
        moved = moved_data(Run(source), args.dataset)
    if source.is_dir() and args.dataset is None:
        evaluation = evaluate_run(Run(source), tta=args.tta)
    elif moved is not None:  # the run's own data, moved: its recorded test split
        evaluation = evaluate_run(Run(source), moved, tta=args.tta)
    else:
        evaluation = _on_named_data(source, args.dataset, args.tta or "none")
    if args.json:
        figures = evaluation.to_dict()
        if fitted is not None:
            figures["calibration_fit"] = fitted.to_dict()
        print(json.dumps(figures, indent=2))
        return 0
    lines = _as_text(evaluation).splitlines()
    if tested is not None:  # under the accuracy: which of the run's models
        lines.insert(1, f"model          {tested.label} ({tested.path.name})")
    if fitted is not None:
        lines.insert(0, f"calibrated: {fitted.summary()}")
    print("\n".join(lines))
    return 0


def _calibrated(source: Path) -> Any:
    """``--calibrate``: the run's temperature fitted and recorded."""
    from core.inference.calibration import calibrate_run

    if not source.is_dir():
        raise WorkbenchError(
            f"{source}: --calibrate needs a run folder (a temperature is fitted on "
            "the run's validation split)"
        )
    return calibrate_run(source)


def _on_named_data(source: Path, choice: str | None, tta: str) -> Any:
    """A model file (or a run's model) on the test images ``choice`` names."""
    from core.data.dataset import Dataset
    from core.data.load import open_dataset
    from core.data.spec import DatasetSpec
    from core.inference.output_activation import output_activation
    from core.model_files.loading import load_model_file
    from core.runs import Run
    from core.training.session import evaluate_test_split

    if choice is None:
        raise WorkbenchError(
            f"{source}: a model file needs --dataset NAME_OR_FOLDER to evaluate on"
        )
    path = Run(source).model_file() if source.is_dir() else source
    if path is None:
        raise WorkbenchError(f"{source.name} kept no model to evaluate")
    model = load_model_file(path)
    activation = output_activation(model)
    if activation.applied:  # logits: scored as the probabilities they stand for
        print(f"note: {activation.note(path.name)}", file=sys.stderr)
        model = activation.wrap(model)
    _, h, w, c = model.inputs[0].shape
    fit = {"image_size": (h, w), "channels": c} if h and w else {"channels": c}
    if choice in BUILTIN_NAMES:
        data = open_dataset(DatasetSpec(name=choice, **fit))
    else:
        folder = Path(choice).expanduser()
        spec = DatasetSpec(kind="folder", name=folder.name, path=str(folder), **fit)
        if not (folder / "test").is_dir():  # the whole folder is the test set
            spec = replace(spec, validation_fraction=0.0, test_fraction=0.0)
        data = open_dataset(spec)
        if not (folder / "test").is_dir():
            data = Dataset(
                data.name,
                data.class_names,
                {
                    "train": data.splits["train"].subset([]),
                    "validation": data.splits["validation"],
                    "test": data.splits["train"],
                },
                data.report,
            )
    size = None
    if not (h and w):  # an exported model resizes what it gets itself
        native = data.native_shape()
        if native is None:
            raise WorkbenchError(
                f"{path.name} takes images of any size and {data.name}'s differ in "
                "size: evaluate the run folder the model came from instead"
            )
        size = native[:2]
    units = int(model.outputs[0].shape[-1])
    if max(units, 2) != data.num_classes:
        raise WorkbenchError(
            f"{path.name} predicts {max(units, 2)} classes but {data.name} has "
            f"{data.num_classes}"
        )
    evaluation, _ = evaluate_test_split(model, data, 32, size=size, tta=tta)
    if evaluation is None:
        raise WorkbenchError(f"{data.name} has no test images")
    return evaluation


def _as_text(evaluation: Any) -> str:
    """The figures a person reads first, then per class, then the confusion."""
    from core.calibration import Reliability
    from core.top_k import shown_top_k

    names = [m.name for m in evaluation.per_class]
    from core.tta import describe

    lines = [f"test accuracy  {evaluation.accuracy:.4f}"]
    given = evaluation.as_given
    if given is not None:  # the exclusion list changed the test split: both
        cleaned = len(evaluation.predicted)
        lines[0] += f" (cleaned: {cleaned:,} images, after the exclusion list)"
        lines.append(
            f"as given       {given['accuracy']:.4f} ({given['images']:,} images, "
            "before the list)"
        )
    if evaluation.tta != "none":  # said only when used: today's output unchanged
        lines.append(f"tta            {describe(evaluation.tta)}")
    if evaluation.loss is not None:
        lines.append(f"test loss      {evaluation.loss:.4f}")
    if shown_top_k(len(names), evaluation.top_k):
        lines.append(f"top-{evaluation.top_k} accuracy {evaluation.top_k_accuracy:.4f}")
    if evaluation.calibration is not None:
        shown = Reliability.from_dict(evaluation.calibration)
        lines.append(f"ECE ({shown.bins} bins)  {shown.ece:.4f}")
    if evaluation.temperature is not None:
        lines.append(f"temperature    {evaluation.temperature:.3f} (calibrated)")
    width = max(len(n) for n in names)
    lines += ["", f"{'class':<{width}}  precision  recall  f1      support"]
    lines += [
        f"{m.name:<{width}}  {m.precision:9.4f}  {m.recall:6.4f}  {m.f1:6.4f}  "
        f"{m.support:>7}"
        for m in evaluation.per_class
    ]
    cell = max(5, *(len(str(v)) for row in evaluation.confusion for v in row))
    lines += ["", "confusion (rows: true class, columns: predicted)"]
    lines += [
        f"{name:<{width}}  " + " ".join(f"{v:>{cell}}" for v in row)
        for name, row in zip(names, evaluation.confusion, strict=True)
    ]
    return "\n".join(lines)
