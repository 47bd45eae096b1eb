"""Crash recovery: the open project is autosaved to a recovery file.

The app writes it periodically while there are unsaved changes and deletes it
on a clean exit or save, so a recovery file found at start-up means the last
session ended without saving: a crash, a kill, a power cut. It records where
the project was saved (if anywhere) so "restore" can reopen under that name,
and which runs folder an unsaved project trained into, so its runs come back
with it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from core.errors import WorkbenchError
from core.paths import user_data_dir
from core.project import Project, write_atomic

if TYPE_CHECKING:
    from core.document import ProjectDocument

RECOVERY_NAME = "recovery.cnnwb.json"


@dataclass(frozen=True)
class Recovery:
    """What was autosaved: the project, its original file, when, and its runs."""

    project: Project
    original_path: str | None
    saved_at: str
    scratch_id: str | None = None


def recovery_path() -> Path:
    return user_data_dir() / RECOVERY_NAME


def write_recovery(document: ProjectDocument) -> Path:
    """Autosave the open project, with where it lives and where its runs go."""
    path = recovery_path()
    doc = {
        "original_path": str(document.path) if document.path else None,
        "scratch_id": document.scratch_id,
        "saved_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "project": document.project().to_dict(),
    }
    write_atomic(path, json.dumps(doc, indent=1) + "\n")
    return path


def read_recovery() -> Recovery | None:
    """The autosaved project, or None when there is none (or it is unreadable).

    An unreadable recovery file is renamed aside rather than deleted, so a bug
    here can never destroy the only copy of someone's work.
    """
    path = recovery_path()
    if not path.exists():
        return None
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        return Recovery(
            Project.from_dict(doc["project"]),
            doc.get("original_path"),
            str(doc.get("saved_at", "")),
            doc.get("scratch_id"),
        )
    except (OSError, ValueError, KeyError, TypeError, WorkbenchError):
        path.replace(path.with_suffix(".unreadable"))
        return None


def clear_recovery() -> None:
    recovery_path().unlink(missing_ok=True)
