"""LayerStack: the editable, observable model behind the layer-stack editor.

It owns a ModelSpec and changes it only through a few primitive operations,
each announced by an event. Views (the Qt item model) mirror those events and
undo commands call the same primitives, so the stack never changes behind a
view's back. Mutate it from one thread only (the GUI thread in the app).

Example:
    >>> stack = LayerStack()
    >>> stack.insert(0, stack.new_layer("Conv2D"))
    >>> stack.spec.layers[0].name
    'conv2d_1'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from core.backbone_table import backbone_table
from core.backbones import BACKBONE_CLASS
from core.layers import layer_kind
from core.observable import Event
from core.spec import (
    HeadSpec,
    InputSpec,
    LayerSpec,
    ModelSpec,
    backbone_name,
    unique_name,
)
from core.summary import ModelSummary, TableSource, summarize


class LayerStack:
    """An ordered list of LayerSpec plus the input and head, with change events.

    Events: ``inserted(index)``, ``removed(index, layer)``, ``moved(src, dst)``
    (``dst`` is the final index), ``replaced(index)``, ``reset()``, and
    ``changed()`` after every change of any kind.
    """

    def __init__(
        self, spec: ModelSpec | None = None, tables: TableSource | None = None
    ) -> None:
        self._spec = spec or ModelSpec()
        # The GUI passes ``cached_only`` so a summary never builds a backbone.
        self._tables = tables if tables is not None else backbone_table
        self._summary: ModelSummary | None = None
        self.inserted = Event()
        self.removed = Event()
        self.moved = Event()
        self.replaced = Event()
        self.reset = Event()
        self.changed = Event()

    @property
    def spec(self) -> ModelSpec:
        return self._spec

    @property
    def layers(self) -> tuple[LayerSpec, ...]:
        return self._spec.layers

    def __len__(self) -> int:
        return len(self._spec.layers)

    def __getitem__(self, index: int) -> LayerSpec:
        return self._spec.layers[index]

    @property
    def summary(self) -> ModelSummary:
        """Shapes and counts for the current spec, computed once per change."""
        if self._summary is None:
            self._summary = summarize(self._spec, self._tables)
        return self._summary

    def remeasure(self) -> None:
        """Summarise again (a backbone table became available); emits ``changed``."""
        self._summary = None
        self.changed.emit()

    def index_of(self, name: str) -> int:
        for i, layer in enumerate(self._spec.layers):
            if layer.name == name:
                return i
        raise KeyError(name)

    def new_layer(
        self, class_name: str, config: Mapping[str, Any] | None = None
    ) -> LayerSpec:
        """A layer of ``class_name`` with defaults and a name unused in the stack."""
        kind = layer_kind(class_name)
        taken = [layer.name for layer in self._spec.layers]
        if class_name == BACKBONE_CLASS:
            spec = LayerSpec.create(class_name, "backbone", config)
            name = backbone_name(spec.config["architecture"], taken)
            return spec.renamed(name)
        return LayerSpec.create(class_name, unique_name(kind.base_name, taken), config)

    def copy_of(self, index: int) -> LayerSpec:
        """A duplicate of layer ``index`` under a fresh name."""
        layer = self._spec.layers[index]
        taken = [x.name for x in self._spec.layers]
        return layer.renamed(unique_name(layer_kind(layer.class_name).base_name, taken))

    def insert(self, index: int, layer: LayerSpec) -> None:
        layers = list(self._spec.layers)
        if layer.name in (x.name for x in layers):
            raise ValueError(f"a layer named {layer.name!r} is already in the stack")
        index = max(0, min(index, len(layers)))
        layers.insert(index, layer)
        self._set(replace(self._spec, layers=tuple(layers)))
        self.inserted.emit(index)
        self.changed.emit()

    def remove(self, index: int) -> LayerSpec:
        layers = list(self._spec.layers)
        layer = layers.pop(index)
        self._set(replace(self._spec, layers=tuple(layers)))
        self.removed.emit(index, layer)
        self.changed.emit()
        return layer

    def move(self, src: int, dst: int) -> None:
        """Move layer ``src`` so that it ends up at index ``dst``."""
        layers = list(self._spec.layers)
        if not (0 <= src < len(layers) and 0 <= dst < len(layers)) or src == dst:
            return
        layers.insert(dst, layers.pop(src))
        self._set(replace(self._spec, layers=tuple(layers)))
        self.moved.emit(src, dst)
        self.changed.emit()

    def replace_layer(self, index: int, layer: LayerSpec) -> None:
        layers = list(self._spec.layers)
        others = [x.name for i, x in enumerate(layers) if i != index]
        if layer.name in others:
            raise ValueError(f"a layer named {layer.name!r} is already in the stack")
        layers[index] = layer
        self._set(replace(self._spec, layers=tuple(layers)))
        self.replaced.emit(index)
        self.changed.emit()

    def set_input(self, input_spec: InputSpec) -> None:
        self._set(replace(self._spec, input=input_spec))
        self.changed.emit()

    def set_head(self, head: HeadSpec) -> None:
        self._set(replace(self._spec, head=head))
        self.changed.emit()

    def set_spec(self, spec: ModelSpec) -> None:
        """Replace everything at once (preset, open project, undo of a load)."""
        self._set(spec)
        self.reset.emit()
        self.changed.emit()

    def _set(self, spec: ModelSpec) -> None:
        self._spec = spec
        self._summary = None
