"""``python -m core export PROJECT_OR_RUN OUT.keras``: take a trained model home.

PROJECT_OR_RUN is a project file (its newest run with a model is used) or a
run folder. The best model is exported when the run kept one, else the last.
The file takes images of any size with raw 0-255 values and carries its class
names (see ``core.inference.export``).

Examples:
  python -m core export my.cnnwb.json model.keras
  python -m core export my.runs/20261129-120000-model model.keras
"""

from __future__ import annotations

import argparse
from pathlib import Path

from core.errors import WorkbenchError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "export",
        help="export a trained model as a .keras file",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("source", help="a project file (.cnnwb.json) or a run folder")
    parser.add_argument("out", help="the .keras file to write")
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
        f"{source.name} has no trained run yet: train it on the Training page "
        "(or with core.training.session.run_session) before exporting"
    )


def run(args: argparse.Namespace) -> int:
    from core.inference.export import export_keras
    from core.inference.loading import load_model_file

    model_path, classes = trained_model_path(Path(args.source))
    out = export_keras(load_model_file(model_path), args.out, classes)
    print(f"exported {model_path} to {out} ({len(classes)} classes)")
    return 0
