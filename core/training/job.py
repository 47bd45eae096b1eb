"""What a headless caller trains: a project or a preset, fitted to this machine.

A project file made in the app names its data with paths that are true on the
machine that made it. Here they are read relative to the project file, and
the command line can point them elsewhere (``--data-root``, ``--dataset``,
``--weights``) without editing the project. Everything else is the project as
the app would train it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from core.data.builtin import BUILTIN_NAMES
from core.data.spec import DatasetSpec
from core.errors import WorkbenchError
from core.presets import all_presets, preset
from core.project import Project


@dataclass(frozen=True)
class Overrides:
    """What the command line may change for this machine or this run."""

    epochs: int | None = None
    data_root: Path | None = None
    dataset: str | None = None
    weights: str | None = None


def preset_project(name: str) -> Project:
    """The preset's model on the dataset it was made for, default settings."""
    spec = preset(name)
    data = all_presets()[name].dataset
    dataset = DatasetSpec(name=data) if data in BUILTIN_NAMES else None
    return Project(name=name, model=spec, dataset=dataset)


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
            f"{project.name} has no dataset: choose one on the Data page or "
            "give --dataset PATH_OR_NAME"
        )
    if dataset.path:
        dataset = replace(dataset, path=str(_located(dataset.path, base, overrides)))
    model = project.model
    if overrides.weights is not None:
        if model.backbone is None:
            raise WorkbenchError("--weights: this model has no backbone")
        model = model.with_backbone_options(weights=overrides.weights)
    training = project.training
    if overrides.epochs is not None:
        if overrides.epochs < 1:
            raise WorkbenchError("--epochs must be at least 1")
        training = replace(training, epochs=overrides.epochs)
    return replace(project, dataset=dataset, model=model, training=training)


def _chosen_dataset(current: DatasetSpec | None, choice: str) -> DatasetSpec:
    """A built-in by name, local files for the current built-in, or a folder."""
    kept = current or DatasetSpec()
    if choice in BUILTIN_NAMES:
        return replace(kept, kind="builtin", name=choice, path=None)
    path = Path(choice).expanduser().resolve()  # from here, not the project
    if kept.kind == "builtin" and kept.name != "shapes" and current is not None:
        return replace(kept, path=str(path))
    return replace(kept, kind="folder", name=path.name, path=str(path))


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
