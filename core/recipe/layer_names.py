"""Stable names for a ``keras.applications`` backbone's layers.

Keras names a layer it names itself after a process-wide counter (``conv2d_7``),
so the same backbone gets other names in another process. The app's freezing
settings name layers, so the app and an exported script both rename them here.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import keras


def _snake(name: str) -> str:
    """Keras's own ``to_snake_case``."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def stable_layer_names(base: keras.Model, architecture: str) -> None:
    """Rename each automatically named layer of ``base`` ``<arch>_<type>_<n>``."""
    counts: dict[str, int] = {}
    prefix = _snake(architecture)
    for layer in base.layers:
        auto = _snake(type(layer).__name__)
        suffix = layer.name[len(auto) + 1 :]
        numbered = layer.name.startswith(auto + "_") and suffix.isdigit()
        if layer.name == auto or numbered:
            counts[auto] = counts.get(auto, 0) + 1
            layer.name = f"{prefix}_{auto}_{counts[auto]}"
