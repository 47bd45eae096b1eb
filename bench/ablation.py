"""Issue 26's ablation: ``cifar10-fast`` with each of its techniques removed in turn.

  python bench/ablation.py                 # the full schedule, one seed
  python bench/ablation.py --epochs 2      # a shortened schedule (the table says so)
  python bench/ablation.py --only tta      # the full recipe and one removal
  python bench/ablation.py --keep-done     # go on: runs --json holds are kept
  python bench/ablation.py --tiny          # does this script still work? seconds

The techniques are not listed here: they are the preset's settings that
differ from the app's defaults (``TrainingConfig``, ``AugmentationConfig``,
a layer option such as the whitening init; GELU activations go back to
ReLU), less the recipe's size and optimizer's own numbers (``RECIPE``), so a
technique added to the preset appears in the table without editing this
script. Removing one sets it back
to its default. Each variant trains through ``python -m core train`` in a
fresh interpreter, one at a time (bench/_fast_runs.py: idle wait, wall time
from the command's start to the test figure); the markdown table is printed
at the end and each run is appended to ``--json`` as it ends.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import _fast_runs as fast  # noqa: E402  (this script's folder)
from _tiny import add_tiny_flag, jpeg_folder  # noqa: E402

from core.augmentation.config import AugmentationConfig  # noqa: E402
from core.layers import APP_OPTIONS  # noqa: E402
from core.presets import named_preset  # noqa: E402
from core.project import Project  # noqa: E402
from core.setting_fields import SettingField, setting_fields  # noqa: E402
from core.spec import ModelSpec  # noqa: E402
from core.training.config import TrainingConfig  # noqa: E402

PRESET = "cifar10-fast"
# Settings that size or pace the recipe rather than add a technique: removing
# one alone (e.g. SGD's rate under Adam) would measure a broken recipe.
RECIPE = {
    "epochs",
    "batch_size",
    "learning_rate",
    "optimizer",
    "momentum",
    "seed",
    "warmup",
    "ema_momentum",
    "checkpoint",
    "checkpoint_monitor",
    "fill_mode",
    "placement",
}
Variant = tuple[str, Project]


def variants(project: Project) -> list[Variant]:
    """The full recipe, then one project per technique with it set to default."""
    out: list[Variant] = [("full recipe", project)]
    for section, default in (
        ("training", TrainingConfig()),
        ("augmentation", AugmentationConfig()),
    ):
        config = getattr(project, section)
        for f in setting_fields(type(config)):
            ours, theirs = getattr(config, f.name), getattr(default, f.name)
            if f.name in RECIPE or ours == theirs or not _in_use(config, f):
                continue
            changed = replace(config, **{f.name: theirs})
            out.append(
                (
                    f"{f.name}: {ours} -> {theirs}",
                    replace(project, **{section: changed}),
                )
            )
    for layer in project.model.layers:
        for option, default_value in APP_OPTIONS.items():
            value = layer.config.get(option, default_value)
            if value != default_value:
                out.append(
                    (
                        f"{layer.name} {option}: {value} -> {default_value}",
                        replace(
                            project,
                            model=_with_option(
                                project.model, {layer.name}, option, default_value
                            ),
                        ),
                    )
                )
    gelu = {
        layer.name
        for layer in project.model.layers
        if layer.config.get("activation") == "gelu"
    }
    if gelu:  # an activation is a layer's choice, not an app default to reset
        out.append(
            (
                f"GELU ({len(gelu)} layers) -> ReLU",
                replace(
                    project,
                    model=_with_option(project.model, gelu, "activation", "relu"),
                ),
            )
        )
    return out


def _in_use(config: Any, f: SettingField) -> bool:
    """False for a value its ``used_when`` leaves unused (SGD's weight decay)."""
    if not f.used_when:
        return True
    name, wanted = f.used_when
    value = getattr(config, name)
    return value in wanted if isinstance(wanted, tuple) else value == wanted


def _with_option(
    spec: ModelSpec, names: set[str], option: str, value: Any
) -> ModelSpec:
    layers = tuple(
        layer.with_options(**{option: value}) if layer.name in names else layer
        for layer in spec.layers
    )
    return replace(spec, layers=layers)


def table(rows: list[tuple[str, dict]], epochs: int, full: int) -> str:
    """The markdown table; a shortened schedule is named in its first line."""
    schedule = (
        f"{epochs} epochs (a shortened schedule: the preset trains {full})"
        if epochs != full
        else f"the preset's {full} epochs"
    )
    base = rows[0][1]["test_accuracy"] if rows and rows[0][0] == "full recipe" else None
    lines = [
        f"`{PRESET}`, one seed, {schedule}:",
        "",
        "| removed | test acc. | vs full recipe | wall | load at start |",
        "| --- | --- | --- | --- | --- |",
    ]
    for label, r in rows:
        acc = r["test_accuracy"]
        delta = f"{acc - base:+.2f}" if acc is not None and base is not None else "-"
        busy = "" if r["idle"] else " (not idle)"
        lines.append(
            f"| {label} | {f'{acc:.2f}%' if acc is not None else '-'} | {delta} "
            f"| {r['wall_seconds'] / 60:.1f} min | {r['load'][0]:.2f}{busy} |"
        )
    return "\n".join(lines)


def run(args: argparse.Namespace, project: Project, extra: tuple[str, ...] = ()) -> int:
    full = project.training.epochs
    epochs = args.epochs or full
    project = replace(project, training=replace(project.training, epochs=epochs))
    chosen = [
        (label, p)
        for label, p in variants(project)
        if label == "full recipe" or not args.only or any(o in label for o in args.only)
    ]
    # A cut ablation goes on where it stopped: a run already in --json (the same
    # technique removed, the same epochs) is reported, not trained again.
    records = fast.load_records(args.json) if args.keep_done else []
    done = {r["removed"]: r for r in records if r["epochs"] == epochs and not r["exit"]}
    rows = []
    for k, (label, variant) in enumerate(chosen):
        if label in done:
            rows.append((label, done[label]))
            continue
        load = fast.start_load(f"'{label}'", args.idle_wait, args.allow_busy)
        if load is None:
            return 1
        record = fast.run_seed(
            f"ablation{k}",
            variant,
            variant.training.seed,
            args.json.parent,
            load,
            extra,
        )
        record["removed"] = label
        fast.append_record(args.json, record)
        rows.append((label, record))
    print(table(rows, epochs, full))
    return 3 if any(r["exit"] for _, r in rows) else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, metavar="N", help="a shortened schedule")
    parser.add_argument(
        "--only",
        action="append",
        metavar="TEXT",
        help="the removals whose label holds TEXT (repeatable), and the full recipe",
    )
    parser.add_argument(
        "--json",
        type=Path,
        default=Path(tempfile.gettempdir()) / "ablation-runs" / "ablation.json",
        help="the file every run is appended to (default: %(default)s)",
    )
    parser.add_argument(
        "--keep-done",
        action="store_true",
        help="report the runs --json already holds for these epochs (a cut "
        "ablation goes on) instead of training them again",
    )
    fast.add_start_flags(parser)
    parser.add_argument(
        "--list", action="store_true", help="list the techniques and stop"
    )
    add_tiny_flag(parser)
    args = parser.parse_args(argv)
    project = named_preset(PRESET).project()
    if args.list:
        print("\n".join(label for label, _ in variants(project)[1:]))
        return 0
    if not args.tiny:
        return run(args, project)
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        # ten classes, as the preset's head has
        images = jpeg_folder(folder / "images", classes=10, train=4, test=2)
        tiny = argparse.Namespace(
            epochs=1,
            only=["no such technique"],  # the full recipe alone: one run
            json=folder / "runs" / "ablation.json",
            keep_done=False,
            idle_wait=0,
            allow_busy=True,
        )
        return run(tiny, project, ("--dataset", str(images)))


if __name__ == "__main__":
    sys.exit(main())
