"""``python -m core summary``: a Keras-style table for a preset or project file.

Never imports TensorFlow for a stack without a backbone: the numbers come from
``core.summary``, which the test-suite holds equal to Keras. A backbone's layer
table is built once with Keras (no weights are downloaded) and then cached.

Examples:
  python -m core summary --preset mnist-convnet
  python -m core summary my.cnnwb.json
  python -m core summary --preset vgg16-cifar10-transfer --unfreeze-from block5_conv1
"""

from __future__ import annotations

import argparse

from core.backbones import BACKBONE_CLASS
from core.commands.arguments import whole_number_in
from core.errors import WorkbenchError
from core.layers import layer_kind
from core.presets import preset
from core.project import load_project
from core.spec import ModelSpec
from core.summary import format_table, summarize


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "summary",
        help="print layers, output shapes and parameter counts",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("project", nargs="?", help="a project file (.cnnwb.json)")
    source.add_argument("--preset", metavar="NAME", help="a bundled preset")
    freeze = parser.add_mutually_exclusive_group()
    freeze.add_argument(
        "--unfreeze-from",
        metavar="LAYER",
        help="backbone only: count as fine-tuned from LAYER on (e.g. block5_conv1)",
    )
    freeze.add_argument(
        "--unfreeze-last",
        metavar="N",
        type=whole_number_in(layer_kind(BACKBONE_CLASS).field("last_n")),
        help="backbone only: count as fine-tuned in its last N layers (0 or more)",
    )
    parser.add_argument(
        "--expand",
        action="store_true",
        help="list a backbone's own layers, with [frozen] on those that do not train",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    spec: ModelSpec = (
        preset(args.preset) if args.preset else load_project(args.project).model
    )
    if args.unfreeze_from is not None or args.unfreeze_last is not None:
        if spec.backbone is None:
            raise WorkbenchError("--unfreeze-from/--unfreeze-last need a backbone")
        try:
            if args.unfreeze_from is not None:
                spec = spec.with_backbone_options(
                    freeze="from_layer", unfreeze_from=args.unfreeze_from
                )
            else:
                spec = spec.with_backbone_options(
                    freeze="last_n", last_n=args.unfreeze_last
                )
        except ValueError as exc:
            raise WorkbenchError(f"--unfreeze-from/--unfreeze-last: {exc}") from None
    summary = summarize(spec)
    if not summary.is_valid:
        raise WorkbenchError(invalid_model(summary.errors))
    print(format_table(spec, summary, expand=args.expand))
    for note in (note for r in summary.layers for note in r.notes):
        print(f"Note: {note}")
    return 0


def invalid_model(errors: list[tuple[int, str, str]]) -> str:
    """Every problem of an invalid model on one line: the first, and how many more."""
    index, name, message = errors[0]
    where = "the input" if index < 0 else f"layer {index + 1} ({name})"
    more = f" (and {len(errors) - 1:,} more)" if len(errors) > 1 else ""
    return f"the model is not valid: {where}: {message}{more}"
