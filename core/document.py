"""ProjectDocument: the whole open project as one evented, GUI-free object.

The app's pages, the Qt item model, undo commands, autosave and the command
line all work on this one object, so a setting lives in one place and every
view learns of a change the same way (psygnal signals, as napari's models).
The layer list is a psygnal ``EventedList``: its inserting/inserted,
removing/removed and moving/moved events map one to one onto Qt's
``beginInsertRows``/``endInsertRows`` etc., so a view needs no shadow copy.

A document is changed on the thread that created it only (the GUI thread in
the app): workers return results that the owning thread applies. A change
from another thread raises at once instead of racing a view's repaint.

Example:
    >>> doc = ProjectDocument()
    >>> doc.insert_layer(0, doc.new_layer("Conv2D"))
    >>> doc.spec.layers[0].name, doc.dirty
    ('conv2d_1', True)
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from psygnal import Signal, SignalGroup
from psygnal.containers import EventedList

from core.augmentation.config import AugmentationConfig
from core.backbone_table import backbone_table
from core.backbones import BACKBONE_CLASS
from core.data.spec import DatasetSpec
from core.layers import layer_kind
from core.project import Project, load_project, save_project
from core.run_folders import legacy_untitled_runs_dir, move_runs, untitled_runs_dir
from core.runs import RunStore
from core.spec import (
    HeadSpec,
    InputSpec,
    LayerSpec,
    ModelSpec,
    backbone_name,
    unique_name,
)
from core.summary import ModelSummary, TableSource, summarize
from core.training.config import TrainingConfig


class DocumentEvents(SignalGroup):
    """Every change a view can follow; layer-list events live on ``doc.layers``.

    ``model`` fires after any change to the layers, input or head, once the
    summary is fresh; ``changed`` after any change to the saved content (it
    marks the document dirty); ``loading`` just before and ``loaded`` just
    after the whole model was replaced at once (new, open, recovery, a
    preset), so views rebuild rather than patch (Qt's begin/endResetModel).
    """

    name = Signal(str)
    path = Signal(object)  # Path | None
    dirty = Signal(bool)
    input = Signal(object)  # InputSpec
    head = Signal(object)  # HeadSpec
    dataset = Signal(object)  # DatasetSpec | None
    augmentation = Signal(object)  # AugmentationConfig
    training = Signal(object)  # TrainingConfig
    model = Signal()
    changed = Signal()
    loading = Signal()
    loaded = Signal()


class ProjectDocument:
    """A project plus where it is saved and whether it changed since."""

    def __init__(
        self,
        project: Project | None = None,
        path: Path | None = None,
        tables: TableSource | None = None,
    ) -> None:
        self.events = DocumentEvents()
        # The GUI passes ``cached_only`` so a summary never builds a backbone.
        self._tables = tables if tables is not None else backbone_table
        self._thread = threading.get_ident()
        self._summary: ModelSummary | None = None
        self._dirty = False
        self._saved: Project | None = None  # the content on disk; None: unknown
        self._batch = 0  # > 0 while one step sets several fields
        self._pending: set[str] = set()  # what that step will announce
        self._path = path
        self._scratch = uuid.uuid4().hex[:8]  # names this unsaved project's runs
        project = project or Project()
        self._name = project.name
        self._input = project.model.input
        self._head = project.model.head
        self._model_name = project.model.name
        self._dataset = project.dataset
        self._augmentation = project.augmentation
        self._training = project.training
        self.layers: EventedList[LayerSpec] = EventedList(project.model.layers)
        done = self.layers.events
        for signal in (done.inserting, done.removing, done.moving):
            signal.connect(self._check_thread, priority=1000, max_args=0)
        for signal in (done.inserted, done.removed, done.moved, done.changed):
            # Before every view (priority): a view ending its row insert reads
            # the new summary. After every view: ``model`` asks views to
            # refresh once their rows match the list.
            signal.connect(self._forget_summary, priority=1000, max_args=0)
            signal.connect(self._on_layers_changed, priority=-1000, max_args=0)
        self._saved = self.project()

    # -- reading ---------------------------------------------------------
    @property
    def name(self) -> str:
        return self._name

    @property
    def path(self) -> Path | None:
        return self._path

    @property
    def dirty(self) -> bool:
        return self._dirty

    @property
    def input(self) -> InputSpec:
        return self._input

    @property
    def head(self) -> HeadSpec:
        return self._head

    @property
    def dataset(self) -> DatasetSpec | None:
        return self._dataset

    @property
    def augmentation(self) -> AugmentationConfig:
        return self._augmentation

    @property
    def training(self) -> TrainingConfig:
        return self._training

    @property
    def scratch_id(self) -> str:
        """Names the runs folder used while the project has no file."""
        return self._scratch

    @property
    def untitled_runs_dir(self) -> Path:
        """Where runs go while the project has no file: its own folder, not shared."""
        return untitled_runs_dir(self._scratch)

    @property
    def runs_dir(self) -> Path:
        """Where this project's runs live: beside its file, else its own scratch folder.

        The same folder ``python -m core runs PROJECT`` and ``export`` read.
        """
        if self._path is None:
            return self.untitled_runs_dir
        return RunStore.beside(self._path).root

    @property
    def spec(self) -> ModelSpec:
        return ModelSpec(
            name=self._model_name,
            input=self._input,
            layers=tuple(self.layers),
            head=self._head,
        )

    @property
    def summary(self) -> ModelSummary:
        """Shapes and counts for the current model, computed once per change."""
        if self._summary is None:
            self._summary = summarize(self.spec, self._tables)
        return self._summary

    def project(self) -> Project:
        """The saved content as an immutable value (what a file holds)."""
        return Project(
            name=self._name,
            model=self.spec,
            dataset=self._dataset,
            augmentation=self._augmentation,
            training=self._training,
        )

    def index_of(self, name: str) -> int:
        for i, layer in enumerate(self.layers):
            if layer.name == name:
                return i
        raise KeyError(name)

    def new_layer(
        self, class_name: str, config: Mapping[str, Any] | None = None
    ) -> LayerSpec:
        """A layer of ``class_name`` with defaults and a name unused in the model."""
        kind = layer_kind(class_name)
        taken = [layer.name for layer in self.layers]
        if class_name == BACKBONE_CLASS:
            spec = LayerSpec.create(class_name, "backbone", config)
            return spec.renamed(backbone_name(spec.config["architecture"], taken))
        return LayerSpec.create(class_name, unique_name(kind.base_name, taken), config)

    def copy_of(self, index: int) -> LayerSpec:
        """A duplicate of layer ``index`` under a fresh name."""
        layer = self.layers[index]
        taken = [x.name for x in self.layers]
        return layer.renamed(unique_name(layer_kind(layer.class_name).base_name, taken))

    # -- layers ----------------------------------------------------------
    def insert_layer(self, index: int, layer: LayerSpec) -> None:
        self._check_thread()
        if layer.name in (x.name for x in self.layers):
            raise ValueError(f"a layer named {layer.name!r} is already in the model")
        self.layers.insert(max(0, min(index, len(self.layers))), layer)

    def remove_layer(self, index: int) -> LayerSpec:
        self._check_thread()
        return self.layers.pop(index)

    def move_layer(self, src: int, dst: int) -> None:
        """Move layer ``src`` so that it ends up at index ``dst``."""
        self._check_thread()
        count = len(self.layers)
        if not (0 <= src < count and 0 <= dst < count) or src == dst:
            return
        # EventedList.move takes the index to insert before, in the old order.
        self.layers.move(src, dst + 1 if dst > src else dst)

    def replace_layer(self, index: int, layer: LayerSpec) -> None:
        self._check_thread()
        others = [x.name for i, x in enumerate(self.layers) if i != index]
        if layer.name in others:
            raise ValueError(f"a layer named {layer.name!r} is already in the model")
        self.layers[index] = layer

    # -- settings --------------------------------------------------------
    def set_input(self, value: InputSpec) -> None:
        self._set_model_part("_input", value, self.events.input)

    def set_head(self, value: HeadSpec) -> None:
        self._set_model_part("_head", value, self.events.head)

    def set_name(self, value: str) -> None:
        self._set("_name", value, self.events.name)

    def set_dataset(self, value: DatasetSpec | None) -> None:
        self._set("_dataset", value, self.events.dataset)

    def set_augmentation(self, value: AugmentationConfig) -> None:
        self._set("_augmentation", value, self.events.augmentation)

    def set_training(self, value: TrainingConfig) -> None:
        self._set("_training", value, self.events.training)

    def apply_dataset(
        self,
        dataset: DatasetSpec | None,
        input_spec: InputSpec | None = None,
        head: HeadSpec | None = None,
    ) -> None:
        """Set the data and the model's input and head as one change.

        One call so an undo of a dataset choice restores all three together.
        """
        with self._one_step():
            self.set_dataset(dataset)
            if input_spec is not None:
                self.set_input(input_spec)
            if head is not None:
                self.set_head(head)

    def set_spec(self, spec: ModelSpec) -> None:
        """Replace the whole model (a preset, an imported model, undo of either)."""
        with self._one_step():
            self.events.loading.emit()
            with self.layers.events.blocked():
                self.layers.clear()
                self.layers.extend(spec.layers)
            self._model_name = spec.name
            self._input, self._head = spec.input, spec.head
            self._summary = None
            self.events.loaded.emit()
            self.events.input.emit(self._input)
            self.events.head.emit(self._head)
            self._model_changed()

    def set_project(self, project: Project) -> None:
        """Replace model, name, data, augmentation and training as one change.

        A preset's recipe and its undo; the file and the runs folder stay.
        """
        with self._one_step():
            self.set_spec(project.model)
            self.set_name(project.name)
            self.set_dataset(project.dataset)
            self.set_augmentation(project.augmentation)
            self.set_training(project.training)

    def load(
        self,
        project: Project,
        path: Path | None = None,
        scratch_id: str | None = None,
    ) -> None:
        """Replace everything (new, open, recovery); the result is unchanged.

        The project gets a fresh runs folder for its unsaved runs, unless
        ``scratch_id`` names the one it had (a recovered project keeps its
        runs).
        """
        self._scratch = scratch_id or uuid.uuid4().hex[:8]
        self.set_project(project)
        self._set_path(path)
        self.mark_clean()

    # -- files -----------------------------------------------------------
    @classmethod
    def open(
        cls, path: str | Path, tables: TableSource | None = None
    ) -> ProjectDocument:
        path = Path(path)
        return cls(load_project(path), path=path, tables=tables)

    def save(self, path: str | Path | None = None) -> Path:
        """Write atomically to ``path`` (default: where it came from).

        The runs made while the project had no file move beside it (a run
        still training moves when it ends: ``adopt_untitled_runs``).
        """
        target = Path(path) if path is not None else self._path
        if target is None:
            raise ValueError("the project has never been saved: give a path")
        written = save_project(self.project(), target)
        # Before the path is announced: views then list the runs where they are.
        move_runs(self.untitled_runs_dir, RunStore.beside(written).root)
        self._set_path(written)
        self.mark_clean()
        return written

    def adopt_untitled_runs(self) -> list[Path]:
        """Move the finished runs of the unsaved project beside its file.

        Returns the runs' new folders; nothing moves while the project has no
        file, and a run still training stays until it ends.
        """
        if self._path is None:
            return []
        return move_runs(self.untitled_runs_dir, self.runs_dir)

    def adopt_legacy_runs(self) -> list[Path]:
        """Take in the runs an older version kept in the shared untitled folder.

        No view lists that folder any more; in this unsaved project's folder
        the Runs tab shows them and a save moves them beside the file. Returns
        the runs' new folders (none once the old folder is gone).
        """
        if self._path is not None:
            return []
        return move_runs(legacy_untitled_runs_dir(), self.untitled_runs_dir)

    def remeasure(self) -> None:
        """Summarise again (a backbone's table became available); not a change."""
        self._check_thread()
        self._summary = None
        self.events.model.emit()

    def mark_dirty(self) -> None:
        """Unsaved whatever changes next (a recovered project is not on disk)."""
        self._saved = None
        self._set_dirty(True)

    def mark_clean(self) -> None:
        """The content now is what the file holds: undoing back to it is clean."""
        self._saved = self.project()
        self._set_dirty(False)

    # -- internals -------------------------------------------------------
    def _check_thread(self) -> None:
        if threading.get_ident() != self._thread:
            raise RuntimeError(
                "the project document was changed from a worker thread; "
                "return the result and apply it on the thread that owns it"
            )

    def _set(self, attr: str, value: Any, signal: Any) -> None:
        self._check_thread()
        if getattr(self, attr) == value:
            return
        setattr(self, attr, value)
        signal.emit(value)
        self._changed()

    def _set_model_part(self, attr: str, value: Any, signal: Any) -> None:
        self._check_thread()
        if getattr(self, attr) == value:
            return
        setattr(self, attr, value)
        signal.emit(value)
        self._model_changed()

    @contextmanager
    def _one_step(self) -> Iterator[None]:
        """Emit ``model`` and ``changed`` once, after several fields changed."""
        self._check_thread()
        self._batch += 1
        try:
            yield
        finally:
            self._batch -= 1
        if self._batch == 0:
            pending, self._pending = self._pending, set()
            if "model" in pending:
                self.events.model.emit()
            if "changed" in pending:
                self._changed()

    def _set_path(self, path: Path | None) -> None:
        if path != self._path:
            self._path = path
            self.events.path.emit(path)

    def _set_dirty(self, dirty: bool) -> None:
        if dirty != self._dirty:
            self._dirty = dirty
            self.events.dirty.emit(dirty)

    def _model_changed(self) -> None:
        self._summary = None
        if self._batch:
            self._pending |= {"model", "changed"}
            return
        self.events.model.emit()
        self._changed()

    def _changed(self) -> None:
        if self._batch:
            self._pending.add("changed")
            return
        # Compared with the saved content, so undoing every edit is clean
        # again while a change no undo covers (a relocated folder) stays dirty.
        self._set_dirty(self.project() != self._saved)
        self.events.changed.emit()

    def _forget_summary(self) -> None:
        self._check_thread()
        self._summary = None

    def _on_layers_changed(self) -> None:
        self._model_changed()
