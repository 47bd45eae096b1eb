"""Pieces of the script's text: wrapped literals and the app's own functions.

``repr`` writes a 200-name layer list on one line; a user reading the script
wants it wrapped at 88 columns like the rest (ruff format's layout). Where the
script must compute exactly what the app computes (the split, the affine
augmentation), it carries the app's function itself, read from its file.
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

WIDTH = 88


def assignment(name: str, value: object, comment: str = "") -> str:
    """``NAME = value``, with lists, tuples and dicts wrapped when too long."""
    note = f"  # {comment}" if comment else ""
    line = f"{name} = {value!r}{note}"
    if len(line) <= WIDTH or not isinstance(value, (list, tuple, dict)):
        return line
    if isinstance(value, dict):
        items = [f"{k!r}: {v!r}" for k, v in value.items()]
        opening, closing = "{", "}"
    else:
        items = [repr(v) for v in value]
        opening, closing = ("[", "]") if isinstance(value, list) else ("(", ")")
    rows: list[str] = []
    for item in items:
        piece = item + ","
        if rows and len(rows[-1]) + 1 + len(piece) <= WIDTH - 4:
            rows[-1] += " " + piece
        else:
            rows.append(piece)
    body = "".join(f"    {row}\n" for row in rows)
    return f"{name} = {opening}{note}\n{body}{closing}"


def function_source(module: str, name: str) -> str:
    """The source of ``module.name``, read without importing the module.

    ``inspect.getsource`` would import it, and ``core.augmentation.ops``
    imports TensorFlow: exporting a script should not.
    """
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise LookupError(f"no module {module}")
    text = Path(spec.origin).read_text(encoding="utf-8")
    for node in ast.parse(text).body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            return f"{ast.get_source_segment(text, node)}\n"
    raise LookupError(f"no function {name} in {module}")
