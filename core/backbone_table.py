"""Per-layer shapes and weight counts of a backbone, built once and cached on disk.

``core.summary`` must stay pure Python and instant, but deriving ResNet50's
175 layers by hand would be a second implementation of Keras to keep in step.
Instead the backbone is built once with Keras (``weights=None``, nothing is
downloaded) per architecture and input size, and its table is written to the
user data folder, keyed by the Keras version too. Later summaries read the
file (and keep it in memory), so only the first summary of a new backbone or
size imports TensorFlow; stacks without a backbone never do. A damaged cache
file is rebuilt, never fatal; the write is atomic.

Example:
    >>> table = backbone_table("VGG16", 32, 32)
    >>> table.rows[0].name, sum(r.params for r in table.rows)
    ('block1_conv1', 14714688)
"""

from __future__ import annotations

import functools
import json
import os
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from core.backbones import BACKBONES, backbone_info, backbone_size
from core.paths import user_data_dir

if TYPE_CHECKING:
    from core.spec import ModelSpec

FORMAT = 1


@dataclass(frozen=True)
class TableRow:
    """One inner layer: ``trainable`` counts weights that train when it is unfrozen;
    ``fixed`` counts those that never do (BatchNormalization's moving statistics)."""

    name: str
    class_name: str
    output_shape: tuple[int, ...]
    trainable: int
    fixed: int

    @property
    def params(self) -> int:
        return self.trainable + self.fixed


@dataclass(frozen=True)
class BackboneTable:
    architecture: str
    height: int
    width: int
    rows: tuple[TableRow, ...]

    @property
    def output_shape(self) -> tuple[int, ...]:
        return self.rows[-1].output_shape


@functools.cache
def keras_version() -> str:
    """Read from the package metadata, so asking costs no TensorFlow import.

    Cached: every summary asks, and the installed version cannot change while
    the process runs.
    """
    try:
        return metadata.version("keras")
    except metadata.PackageNotFoundError:
        return "unknown"


def table_path(architecture: str, height: int, width: int) -> Path:
    return (
        user_data_dir()
        / "backbone_tables"
        / f"{architecture}-{height}x{width}-keras{keras_version()}.json"
    )


def table_key(spec: ModelSpec) -> tuple[str, int, int] | None:
    """``(architecture, height, width)`` of the table ``spec``'s summary needs.

    None without a backbone, and when the input, architecture or size is invalid:
    the summary reports those problems itself and needs no table for them.
    """
    backbone = spec.backbone
    if backbone is None or spec.input.problems():
        return None
    arch = backbone.config.get("architecture", "")
    h, w = backbone_size(backbone.config, spec.input.height, spec.input.width)
    if arch not in BACKBONES or min(h, w) < backbone_info(arch).min_size:
        return None
    return (arch, h, w)


def cached_table(architecture: str, height: int, width: int) -> BackboneTable | None:
    """The table if it is on disk (or in memory) already; never builds.

    The editor can call this on the GUI thread and build missing tables with
    :func:`backbone_table` on a worker.
    """
    key = (architecture, height, width, keras_version())
    if key not in _memory:
        table = _read(table_path(architecture, height, width), *key[:3])
        if table is None:
            return None
        _memory[key] = table
    return _memory[key]


def cached_table_for(spec: ModelSpec) -> BackboneTable | None:
    """The cached table ``spec``'s backbone needs, if there is one; never builds."""
    key = table_key(spec)
    return cached_table(*key) if key is not None else None


class TableNotReady(LookupError):
    """The table is not cached yet; :func:`backbone_table` builds it (slow)."""


def cached_only(architecture: str, height: int, width: int) -> BackboneTable:
    """A table source for ``summarize(spec, tables=cached_only)`` that never builds.

    The editor summarises on the GUI thread with it, builds a missing table on a
    worker with :func:`backbone_table`, then summarises again.

    Raises:
        TableNotReady: the table has not been built yet.
    """
    table = cached_table(architecture, height, width)
    if table is None:
        raise TableNotReady(f"{architecture} at {height}x{width}")
    return table


def backbone_table(architecture: str, height: int, width: int) -> BackboneTable:
    """The table, read from the cache or built with Keras (and then cached).

    Raises:
        ValueError: Keras refuses the size (below the architecture's minimum).
    """
    table = cached_table(architecture, height, width)
    if table is None:
        table = _build(architecture, height, width)
        _write(table_path(architecture, height, width), table)
        _memory[(architecture, height, width, keras_version())] = table
    return table


_memory: dict[tuple[str, int, int, str], BackboneTable] = {}


def _build(architecture: str, height: int, width: int) -> BackboneTable:
    from core.backbone_builder import make_base

    base = make_base(architecture, input_shape=(height, width, 3))
    rows = []
    for layer in base.layers[1:]:  # the InputLayer is the model's own
        trainable = sum(_size(w) for w in layer.trainable_weights)
        fixed = sum(_size(w) for w in layer.non_trainable_weights)
        rows.append(
            TableRow(
                layer.name,
                type(layer).__name__,
                tuple(int(d) for d in layer.output.shape[1:]),
                trainable,
                fixed,
            )
        )
    return BackboneTable(architecture, height, width, tuple(rows))


def _size(weight: object) -> int:
    n = 1
    for d in weight.shape:  # type: ignore[attr-defined]
        n *= int(d)
    return n


def _read(
    path: Path, architecture: str, height: int, width: int
) -> BackboneTable | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data["format"] != FORMAT or data["architecture"] != architecture:
            return None
        rows = tuple(
            TableRow(str(n), str(c), tuple(int(d) for d in s), int(t), int(f))
            for n, c, s, t, f in data["rows"]
        )
        if not rows or [data["height"], data["width"]] != [height, width]:
            return None
        return BackboneTable(architecture, height, width, rows)
    except (OSError, ValueError, KeyError, TypeError):
        return None  # missing or damaged: the caller rebuilds it


def _write(path: Path, table: BackboneTable) -> None:
    data = {
        "format": FORMAT,
        "architecture": table.architecture,
        "height": table.height,
        "width": table.width,
        "keras": keras_version(),
        "rows": [
            [r.name, r.class_name, list(r.output_shape), r.trainable, r.fixed]
            for r in table.rows
        ],
    }
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f)
        os.replace(tmp, path)
    except OSError:
        # A read-only data folder only costs a rebuild next time.
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
