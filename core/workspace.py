"""Workspace: the open project plus what the app holds for it, evented, GUI-free.

The project document (``core.document``) is what a project file holds. An open
project also has working state no file holds: the images loaded for the
document's dataset, the project's run store, the run whose results are shown,
and that run's model. The workspace holds all of it in one place that pages
observe as they observe the document (psygnal signals), so what File > New,
a preset or a new dataset reset is decided here once, and no page keeps a
previous project's run, figures or model by missing the news.

The document's thread rule applies: the workspace is changed on the thread
that created it. Workers (loading, training) return their results, and that
thread applies them: a run's undecodable files come back in its result and
``merge_skipped`` adds them to the loaded dataset's report.

Example:
    >>> workspace = Workspace(ProjectDocument())
    >>> _ = workspace.events.reset.connect(lambda: print("reset"))
    >>> workspace.document.load(Project("another"))  # File > New, Open
    reset
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from typing import Any

from psygnal import Signal, SignalGroup

from core.data.dataset import Dataset
from core.data.spec import DatasetSpec
from core.document import ProjectDocument
from core.runs import Run, RunStore


@dataclass(frozen=True)
class RunModelInUse:
    """A project run's model, loaded, as the Prediction page uses it."""

    model: Any  # keras.Model; kept untyped so the workspace never imports Keras
    class_names: tuple[str, ...]
    label: str  # "RUN · best model", "last run", ...
    tta: str = "none"  # the views its run's test figures averaged


class WorkspaceEvents(SignalGroup):
    """What a page can follow beyond the document's own events.

    ``reset`` fires when the project, its whole model or its data was
    replaced (File > New, Open, a preset, a new dataset, an undo of one):
    views drop whatever they show of the previous one. ``dataset`` fires with
    the loaded images or None (the document's dataset is not loaded yet);
    ``skipped`` when files were added to the loaded dataset's skipped list;
    ``run_moved`` with the shown run at its new place (a save moves the runs
    beside the file: a path shown before no longer exists); ``run_model``
    with the shown run's model for prediction, or None; ``relisted`` with the
    loaded images once the project's exclusion list changed (no reset: the
    shown run keeps the data it recorded).
    """

    reset = Signal()
    dataset = Signal(object)  # Dataset | None
    skipped = Signal(object)  # Dataset
    run_moved = Signal(object)  # Run
    run_model = Signal(object)  # RunModelInUse | None
    relisted = Signal(object)  # Dataset: the loaded images under a new list


class Workspace:
    """The document, its loaded data, its run store, the shown run and its model."""

    def __init__(self, document: ProjectDocument) -> None:
        self.document = document
        self.events = WorkspaceEvents()
        self._thread = threading.get_ident()
        self._dataset: Dataset | None = None
        # What the loaded images are (or, before they load, the document's spec
        # they are wanted for): a document change to another spec drops them.
        self._dataset_spec: DatasetSpec | None = document.dataset
        self._run: Run | None = None
        self._run_model: RunModelInUse | None = None
        events = document.events
        events.loading.connect(self.reset)
        events.dataset.connect(self._on_document_dataset)
        events.path.connect(self._on_document_path)

    # -- reading ---------------------------------------------------------
    @property
    def dataset(self) -> Dataset | None:
        """The images loaded for the document's dataset; None until loaded."""
        return self._dataset

    @property
    def pending_dataset(self) -> DatasetSpec | None:
        """The document's dataset while its images are not loaded yet."""
        return self.document.dataset if self._dataset is None else None

    @property
    def run(self) -> Run | None:
        return self._run

    @property
    def run_model(self) -> RunModelInUse | None:
        return self._run_model

    def run_store(self) -> RunStore:
        """The project's runs: beside its file, or its own folder while unsaved."""
        return RunStore(self.document.runs_dir)

    # -- changing --------------------------------------------------------
    def set_dataset(self, dataset: Dataset, spec: DatasetSpec) -> None:
        """The images of ``spec`` finished loading (a worker returned them).

        Other data than before resets the pages (its runs' figures were of
        the old data); the same data loaded again, or found at a new place,
        does not. Call before writing ``spec`` to the document.
        """
        self._check_thread()
        if not _same_data(spec, self._dataset_spec):
            self.reset()
        self._dataset, self._dataset_spec = dataset, spec
        self.events.dataset.emit(dataset)

    def merge_skipped(self, dataset: Dataset | None, skipped: list[tuple[str, str]]):
        """Add the files a run could not decode to ``dataset``'s report.

        Only the loaded dataset's: a resumed run reads its own copy of the data.
        """
        self._check_thread()
        if dataset is None or dataset is not self._dataset:
            return
        known = {path for path, _ in dataset.report.skipped}
        new = [(p, why) for p, why in skipped if p not in known]
        for path, reason in new:
            dataset.report.skip(path, reason)
        if new:
            self.events.skipped.emit(dataset)

    def show_run(self, run: Run | None) -> None:
        """``run`` is the one whose results the pages show now (they show it)."""
        self._check_thread()
        self._run = run

    def set_run_model(self, model: RunModelInUse | None) -> None:
        """The shown run's model, for prediction (None: no project model)."""
        self._check_thread()
        self._run_model = model
        self.events.run_model.emit(model)

    def adopt_untitled_runs(self) -> bool:
        """A run that ended after a save moves beside the file; True if any moved."""
        moved = self.document.adopt_untitled_runs()
        if moved:
            self._follow_moved_run()
        return bool(moved)

    def reset(self) -> None:
        """Drop the shown run and its model: the project, model or data changed."""
        self._check_thread()
        self._run, self._run_model = None, None
        self.events.reset.emit()
        self.events.run_model.emit(None)

    # -- internals -------------------------------------------------------
    def _check_thread(self) -> None:
        if threading.get_ident() != self._thread:
            raise RuntimeError(
                "the workspace was changed from a worker thread; "
                "return the result and apply it on the thread that owns it"
            )

    def _on_document_dataset(self, spec: DatasetSpec | None) -> None:
        if spec == self._dataset_spec:  # the images just loaded, now in the document
            return
        if self._relist(spec):
            return
        same = _same_data(spec, self._dataset_spec)
        self._dataset_spec = spec
        if same and self._dataset is not None:  # found at a new place: kept
            return
        self._dataset = None
        self.reset()
        self.events.dataset.emit(None)

    def _relist(self, spec: DatasetSpec | None) -> bool:
        """Only the exclusion list changed: the loaded images take it, no reset.

        The shown run's figures stay its own (it recorded the list it used),
        and the data need not load again. True when that was the change.
        """
        old, data = self._dataset_spec, self._dataset
        if spec is None or old is None or data is None:
            return False
        if replace(spec, exclusions=old.exclusions) != old:
            return False
        from core.data.load import relisted  # numpy and the recipe: when needed

        self._dataset_spec = spec
        self._dataset = relisted(data, spec.exclusions)
        self.events.relisted.emit(self._dataset)
        return True

    def _on_document_path(self) -> None:
        self._follow_moved_run()

    def _follow_moved_run(self) -> None:
        """The shown run at its new place, after a save moved the runs."""
        run = self._run
        if run is None or run.path.exists():
            return
        moved = self.document.runs_dir / run.name
        if moved.is_dir():
            self._run = Run(moved)
            self.events.run_moved.emit(self._run)


def _same_data(new: DatasetSpec | None, old: DatasetSpec | None) -> bool:
    """The same data: equal, or ``old``'s missing folder found at a new place."""
    if new is None or old is None or new == old:
        return new == old
    return old.path_missing() and replace(new, path=old.path) == old
