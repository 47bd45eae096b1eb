"""RunRecord: ``run.json``, typed, versioned, and checked when it is read.

``run.json`` is written when a session ends (``session.finish``, or
``session._failed``) and read by the Runs tab, ``python -m core runs``, a
resume and the Training page. It used to be a dict built by hand and read back
with ``.get`` in many places, so a record with a wrong type
(``{"epochs_run": "many", "history": [1, 2]}``) ended in a traceback far from
the file. ``RunRecord.from_dict`` checks every field it knows and raises one
``RunRecordError`` naming the file and the field; keys it does not know are
kept as they were (a newer version's, or another module's), so a record
round-trips.

Version 2 adds ``model`` (which file is the run's model:
``core.run_model``); a record without ``version`` is version 1, written before
the run-model rule, whose test figures belong to the final weights (see
``Run.evaluation_model``).

JSON has no NaN: a non-finite number (a diverged epoch's loss, a counter never
set) is written as ``null`` and read back as NaN in the history.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any

from core.errors import WorkbenchError

RECORD_VERSION = 2


class RunRecordError(WorkbenchError):
    """A ``run.json`` whose content is not a run record (wrong types)."""


@dataclass
class RunRecord:
    """What happened in a run; see ``core.training.session.finish``."""

    epochs_run: int = 0
    stop_reason: str = "unfinished"
    message: str = ""
    best_epoch: int | None = None  # 0-based, the epoch best.keras holds
    best_value: float | None = None  # what best.keras scores on its monitor
    best_path: str | None = None
    last_path: str | None = None
    device: str = ""
    history: dict[str, list[float]] = field(default_factory=dict)
    phase_boundary: int | None = None  # the first epoch (0-based) of phase 2
    last_model_epochs: int | None = None  # the epochs last.keras holds
    phases: list[dict[str, Any]] = field(default_factory=list)
    callback_state: dict[str, dict[str, Any]] = field(default_factory=dict)
    replicas: int | None = None
    precision: str = ""  # the dtype policy trained in ("": not recorded)
    jit_compile: bool | None = None  # whether XLA compiled the steps
    skipped_images: list[str] = field(default_factory=list)
    resumes: list[dict[str, Any]] = field(default_factory=list)
    model: str | None = None  # core.run_model.BEST / FINAL / None: no model kept
    # the temperature fitted on validation (core.calibration.Calibration)
    calibration: dict[str, Any] | None = None
    version: int = RECORD_VERSION
    extra: dict[str, Any] = field(default_factory=dict)  # keys not known here

    @classmethod
    def from_dict(cls, data: Any, where: str = "run.json") -> RunRecord:
        """A record from ``run.json``'s content; version 1 records too.

        Raises:
            RunRecordError: not an object, or a known field of the wrong type.
        """
        if not isinstance(data, dict):
            raise RunRecordError(f"{where} is damaged (not a run record)")
        known = {f.name for f in fields(cls)} - {"extra"}
        values: dict[str, Any] = {"version": 1}  # written before versions
        for key, value in data.items():
            if key not in known:
                continue
            if value is None and key in _OPTIONAL:
                values[key] = None
                continue
            check = _CHECKS[key]
            if not check(value):
                raise RunRecordError(
                    f"{where} is damaged: {key!r} should be {_WANTED[key]}, "
                    f"not {_shown(value)}"
                )
            values[key] = value
        values["history"] = {
            k: [math.nan if v is None else float(v) for v in vs]
            for k, vs in values.get("history", {}).items()
        }
        extra = {k: v for k, v in data.items() if k not in known}
        return cls(**values, extra=extra)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (no NaN or infinity); unknown keys as they were read."""
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "extra"}
        return finite({**self.extra, **out})


def finite(value: Any) -> Any:
    """``value`` with every NaN or infinite float replaced by None (JSON's null)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    return value


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return _is_int(value) or isinstance(value, float)


def _is_history(value: Any) -> bool:
    return isinstance(value, dict) and all(
        isinstance(k, str)
        and isinstance(v, list)
        and all(x is None or _is_number(x) for x in v)
        for k, v in value.items()
    )


def _list_of(kind: type) -> Any:
    return lambda v: isinstance(v, list) and all(isinstance(x, kind) for x in v)


_CHECKS: dict[str, Any] = {
    "epochs_run": lambda v: _is_int(v) and v >= 0,
    "stop_reason": lambda v: isinstance(v, str),
    "message": lambda v: isinstance(v, str),
    "best_epoch": lambda v: _is_int(v) and v >= 0,
    "best_value": _is_number,
    "best_path": lambda v: isinstance(v, str),
    "last_path": lambda v: isinstance(v, str),
    "device": lambda v: isinstance(v, str),
    "history": _is_history,
    "phase_boundary": lambda v: _is_int(v) and v >= 0,
    "last_model_epochs": lambda v: _is_int(v) and v >= 0,
    "phases": _list_of(dict),
    "callback_state": lambda v: (
        isinstance(v, dict) and all(isinstance(x, dict) for x in v.values())
    ),
    "replicas": lambda v: _is_int(v) and v >= 1,
    "precision": lambda v: isinstance(v, str),
    "jit_compile": lambda v: isinstance(v, bool),
    "skipped_images": _list_of(str),
    "resumes": _list_of(dict),
    "model": lambda v: v in ("best", "final"),
    "calibration": lambda v: (
        isinstance(v, dict)
        and _is_number(v.get("temperature"))
        and v["temperature"] > 0
    ),
    "version": lambda v: _is_int(v) and v >= 1,
}
_WANTED = {
    "epochs_run": "a count of epochs",
    "stop_reason": "a word",
    "message": "text",
    "best_epoch": "an epoch number",
    "best_value": "a number",
    "best_path": "a file path",
    "last_path": "a file path",
    "device": "text",
    "history": "lists of numbers by metric",
    "phase_boundary": "an epoch number",
    "last_model_epochs": "a count of epochs",
    "phases": "a list of phases",
    "callback_state": "counters by callback",
    "replicas": "a count of replicas",
    "precision": "a dtype policy",
    "jit_compile": "true or false",
    "skipped_images": "a list of file names",
    "resumes": "a list of resumes",
    "model": '"best" or "final"',
    "calibration": "a fitted temperature above 0",
    "version": "a version number",
}
_OPTIONAL = {
    "best_epoch",
    "best_value",
    "best_path",
    "last_path",
    "phase_boundary",
    "last_model_epochs",
    "replicas",
    "jit_compile",
    "model",
    "calibration",
}


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
