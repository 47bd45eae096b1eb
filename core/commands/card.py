"""``python -m core card RUN_DIR``: print the model card of a run's model.

The same Markdown every export writes beside its file as ``NAME.card.md``
(``core.inference.model_card``): the model (input, classes, parameters), the
data it saw (source, split sizes, fingerprint, exclusions), the recipe (the
run's settings), the test figures with the confusion matrix and the
calibration, the package versions and how to load it. A run's own model has
no export to verify, so its card says "not verified".

Examples:
  python -m core card my.runs/20261129-120000-model
  python -m core card my.runs/20261129-120000-model > card.md
"""

from __future__ import annotations

import argparse
from pathlib import Path

from core.errors import WorkbenchError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "card",
        help="print the model card (Markdown) of a run's model",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("run_dir", help="a run folder")
    parser.add_argument(
        "--verbose", action="store_true", help="show TensorFlow's own log lines"
    )
    parser.set_defaults(func=run, uses_tensorflow=True)


def run(args: argparse.Namespace) -> int:
    from core.inference.model_card import model_card
    from core.model_files.loading import load_model_file
    from core.runs import Run

    folder = Path(args.run_dir)
    if not (folder / "config.json").is_file():
        raise WorkbenchError(f"{folder}: not a run folder (it has no config.json)")
    found = Run(folder).kept_model()
    if found is None:
        raise WorkbenchError(f"{folder.name} kept no model to describe")
    path, classes = found
    print(model_card(load_model_file(path), classes, folder))
    return 0
