"""``python -m core predict MODEL IMAGE...``: top-k classes per image.

IMAGE may be files or folders (every image inside). ``--csv`` prints one row
per image instead. Images are predicted in batches of 64. An image that cannot
be read is listed on stderr (one "error: FILE: reason" line each) and the rest
are still predicted; the exit status is then 1. A refused model ends with a
one-line reason and exit status 1. A model whose outputs are not probabilities
(logits: no softmax at its end) gets softmax (sigmoid for one unit), said once
on stderr.

MODEL may be a run folder: its model is used (its best model when it kept
one, else its final weights; ``core.run_model``), as ``evaluate`` and
``export`` take it.

``--tta`` averages each image's probabilities over views of it (test-time
augmentation: ``flip`` the image and its mirror, ``flip_shifts`` also 2-pixel
shifts, 6 views; ``core.recipe.tta``). A run folder uses its own setting
unless ``--tta`` overrides it; a model file uses none unless given. It needs
a model of fixed input size: an exported ``.keras`` carries its own TTA
(``export --tta``).

Examples:
  python -m core predict model.keras cat.jpg dog.png
  python -m core predict my.runs/20261129-120000-model photos/ --csv
  python -m core predict my.runs/20261129-120000-model cat.jpg --tta flip
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

from core.data.images import image_files
from core.errors import WorkbenchError
from core.training.config import TTA_MODES


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "predict",
        help="classify images with a .keras model",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "model", help="a .keras or .h5 model file, or a run folder (its model)"
    )
    parser.add_argument("images", nargs="+", help="image files or folders")
    parser.add_argument(
        "--top-k", type=int, default=3, help="classes per image (3; at least 1)"
    )
    parser.add_argument(
        "--tta",
        choices=TTA_MODES,
        help="test-time augmentation (default: a run's own setting, none for a "
        "model file)",
    )
    parser.add_argument("--csv", action="store_true", help="print CSV rows")
    parser.add_argument(
        "--verbose", action="store_true", help="show TensorFlow's own log lines"
    )
    parser.set_defaults(func=run, uses_tensorflow=True)


def run(args: argparse.Namespace) -> int:
    from core.inference.output_activation import output_activation
    from core.inference.predict import predict_files
    from core.model_files.class_names import generic_class_names
    from core.model_files.loading import load_model_file, stored_class_names
    from core.run_model import recorded_tta, run_model
    from core.top_k import ranked_count

    if args.top_k < 1:
        raise WorkbenchError(f"--top-k must be at least 1, not {args.top_k}")
    given = [Path(i) for i in args.images]
    for path in given:
        if not path.exists():
            raise WorkbenchError(f"{path}: no such file or folder")
    source = Path(args.model)
    kept = run_model(source) if source.is_dir() else None
    tta = args.tta or (recorded_tta(source) if kept else "none")
    source = kept.path if kept else source  # a run folder: the run's model
    model = load_model_file(source)
    names = stored_class_names(model, source) or generic_class_names(model)
    paths = image_files(given)
    if not paths:
        raise WorkbenchError("no images found in " + ", ".join(args.images))
    top_k = ranked_count(len(names), args.top_k)
    writer = csv.writer(sys.stdout) if args.csv else None
    if writer:
        header = ["image"]
        for k in range(1, top_k + 1):
            header += [f"class_{k}", f"probability_{k}"]
        writer.writerow(header)
    activation = output_activation(model)
    note = activation.note(source.name)
    if note:
        print(f"note: {note}", file=sys.stderr)
    unread = 0
    predicted = predict_files(model, paths, names, top_k, activation, tta)
    for path, ranked, problem in predicted:
        if ranked is None:
            print(f"error: {path}: {problem}", file=sys.stderr)
            unread += 1
        elif writer:
            row = [str(path)]
            for name, p in ranked:
                row += [name, f"{p:.4f}"]
            writer.writerow(row)
        else:
            best = ", ".join(f"{name} {p:.1%}" for name, p in ranked)
            print(f"{path}: {best}")
    return 1 if unread else 0
