"""Pieces of the script's text: literals wrapped as ruff format would.

``repr`` writes a 200-name layer list on one line; a user reading the script
wants it wrapped at 88 columns like the rest (ruff format's layout).
"""

from __future__ import annotations

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
