"""Refusing, in words and before anything is written, an output path that cannot be.

Shared by every export (``core.inference.export`` writes the files,
``core.inference.export_formats`` picks the format) without either importing
the other for it.
"""

from __future__ import annotations

from pathlib import Path

from core.errors import WorkbenchError


def check_output_file(target: Path, suffix: str) -> None:
    """Refuse, in words, an output path that cannot become a ``suffix`` file."""
    if target.is_dir():
        raise WorkbenchError(
            f"{target} is a folder: give a file name ending in {suffix}"
        )
    if target.suffix != suffix:
        raise WorkbenchError(f"{target.name}: the file name must end in {suffix}")
    check_parent(target)


def check_parent(target: Path) -> None:
    if not target.parent.is_dir():
        raise WorkbenchError(f"cannot write {target}: {target.parent} does not exist")
