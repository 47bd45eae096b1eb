"""What a headless caller trains: a project or a preset, fitted to this machine.

A project file made in the app names its data with paths that are true on the
machine that made it. Here they are read relative to the project file, and
the command line can point them elsewhere (``--data-root``, ``--dataset``,
``--weights``) without editing the project. Everything else is the project as
the app would train it; a preset is its whole recipe (``core.presets``).
``--fraction`` trains on a stratified part of every split, for a quick check
of a long recipe.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from core.data.builtin import BUILTIN_NAMES, IDX_FILES, IDX_NAMES
from core.data.dataset import Dataset, stratified_split
from core.data.spec import DatasetSpec
from core.errors import WorkbenchError
from core.presets import named_preset
from core.project import Project


@dataclass(frozen=True)
class Overrides:
    """What the command line may change for this machine or this run."""

    epochs: int | None = None
    data_root: Path | None = None
    dataset: str | None = None
    weights: str | None = None
    fraction: float | None = None


def preset_project(name: str) -> Project:
    """The preset's whole recipe: model, dataset, augmentation and training."""
    return named_preset(name).project()


def for_this_machine(project: Project, base: Path, overrides: Overrides) -> Project:
    """``project`` with its paths resolved and the overrides applied.

    ``base`` is the project file's folder (the current folder for a preset).

    Raises:
        WorkbenchError: no dataset at all, or an override that does not fit.
    """
    dataset = project.dataset
    if overrides.dataset is not None:
        dataset = _chosen_dataset(dataset, overrides.dataset)
    if dataset is None:
        raise WorkbenchError(
            f"{project.name} has no dataset: give --dataset PATH_OR_NAME, or set "
            "the project file's dataset"
        )
    if dataset.path:
        dataset = replace(dataset, path=str(_located(dataset.path, base, overrides)))
    model = project.model
    if overrides.weights is not None:
        if model.backbone is None:
            raise WorkbenchError("--weights: this model has no backbone")
        model = model.with_backbone_options(weights=overrides.weights)
    if overrides.fraction is not None and not 0 < overrides.fraction <= 1:
        raise WorkbenchError("--fraction must be above 0 and at most 1, e.g. 0.1")
    training = project.training
    if overrides.epochs is not None:
        if overrides.epochs < 1:
            raise WorkbenchError("--epochs must be at least 1")
        training = replace(training, epochs=overrides.epochs)
    return replace(project, dataset=dataset, model=model, training=training)


def _chosen_dataset(current: DatasetSpec | None, choice: str) -> DatasetSpec:
    """A built-in by name, local files for the current built-in, or a folder.

    A tree of class folders is a folder dataset whatever the project had (as
    ``--help`` says), not "local files" of a built-in that reads IDX files.
    """
    kept = current or DatasetSpec()
    if choice in BUILTIN_NAMES:
        return replace(kept, kind="builtin", name=choice, path=None)
    path = Path(choice).expanduser().resolve()  # from here, not the project
    builtin = kept.kind == "builtin" and kept.name != "shapes" and current is not None
    if builtin and not (kept.name in IDX_NAMES and _class_folders(path)):
        return replace(kept, path=str(path))
    return replace(kept, kind="folder", name=path.name, path=str(path))


def _class_folders(path: Path) -> bool:
    """Sub-folders and none of the IDX files: what a folder dataset looks like."""
    if not path.is_dir() or any((path / f).exists() for f in IDX_FILES):
        return False
    return any(p.is_dir() for p in path.iterdir())


def _located(path: str, base: Path, overrides: Overrides) -> Path:
    """A relative path from the data root (or the project's folder).

    With ``--data-root``, an absolute path from another machine that does not
    exist here is looked for under the root by its last component.
    """
    p = Path(path).expanduser()
    root = overrides.data_root
    if not p.is_absolute():
        return (root or base) / p
    if root is not None and not p.exists():
        return root / p.name
    return p


def fraction_of(dataset: Dataset, fraction: float, seed: int = 0) -> Dataset:
    """Every split cut to ``fraction`` of its images, class proportions kept.

    For a quick check of a long recipe: the same pipeline on less data. The
    cut is seeded, so two quick runs see the same images.
    """
    if fraction >= 1:
        return dataset
    splits = {
        name: split.subset(stratified_split(split.labels, (fraction,), seed)[0])
        for name, split in dataset.splits.items()
    }
    # The cut is of the splits trained on (after the exclusion list): the
    # splits as given, uncut, would make the fingerprint another data's.
    return replace(dataset, splits=splits, decode_checks={}, given=None)
