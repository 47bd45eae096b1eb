"""A sweep over several processes or machines: KerasTuner's chief and workers.

KerasTuner's own distributed tuning: every process runs the same command
with ``KERASTUNER_TUNER_ID``, ``KERASTUNER_ORACLE_IP`` and
``KERASTUNER_ORACLE_PORT`` set; the one whose id contains ``chief`` runs the
search's oracle as a gRPC server at that address and trains nothing; every
other (``tuner0``, ``tuner1``...) asks it for a trial, trains it, reports
the score and asks again (docs/scaling.md).

Workers write their trials' runs into the one runs folder, so it must be
shared storage that every worker sees at the same path, and every worker
must reach the data. Two workers never train one run: the run lock
(``core.run_lock``, ``flock``) keeps a second process out. On NFS, Linux
emulates ``flock`` with whole-file POSIX locks the server enforces across
clients, unless the mount keeps locks local (``nolock``,
``local_lock=flock`` or ``all``); such a runs folder is refused.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from core.errors import WorkbenchError

TUNER_ID = "KERASTUNER_TUNER_ID"
ORACLE_IP = "KERASTUNER_ORACLE_IP"
ORACLE_PORT = "KERASTUNER_ORACLE_PORT"
ENVIRONMENT = (TUNER_ID, ORACLE_IP, ORACLE_PORT)
# The tuner id of a sweep on one machine, the app's and the command line's
# alike: the oracle keys a trial in progress by it.
LOCAL_TUNER_ID = "tuner0"
LOCAL, CHIEF, WORKER = "local", "chief", "worker"
NFS = ("nfs", "nfs4")
LOCAL_LOCKS = ("nolock", "local_lock=flock", "local_lock=all")


@dataclass(frozen=True)
class Role:
    """What this process does in a sweep: ``local``, ``chief`` or ``worker``."""

    kind: str
    tuner_id: str


def sweep_role(distributed: bool, environ: Mapping[str, str] = os.environ) -> Role:
    """This process's role, from ``--distributed`` and KerasTuner's variables.

    Raises:
        WorkbenchError: ``--distributed`` without the three variables (or a
            port that is no number), or a sweep on one machine in an
            environment that would make KerasTuner go distributed anyway.
    """
    if not distributed:
        if environ.get(ORACLE_IP):
            raise WorkbenchError(
                f"{ORACLE_IP} is set, which makes KerasTuner tune distributed: give "
                "--distributed (docs/scaling.md), or unset it"
            )
        return Role(LOCAL, LOCAL_TUNER_ID)
    missing = [name for name in ENVIRONMENT if not environ.get(name)]
    if missing:
        raise WorkbenchError(
            f"--distributed needs {', '.join(missing)} set: the chief's address, and "
            "an id per process with 'chief' in the chief's (docs/scaling.md)"
        )
    if not environ[ORACLE_PORT].isdigit():
        raise WorkbenchError(
            f"{ORACLE_PORT} must be a port number, not {environ[ORACLE_PORT]!r}"
        )
    tuner_id = environ[TUNER_ID]
    # KerasTuner's own test (keras_tuner.src.distribute.utils.is_chief_oracle).
    return Role(CHIEF if "chief" in tuner_id else WORKER, tuner_id)


def lock_problem(folder: str | Path, mounts: str = "/proc/self/mounts") -> str | None:
    """Why the run lock would not keep two machines out of ``folder``, or None.

    None also when the mounts cannot be read (not Linux): nothing to tell.
    """
    try:
        lines = Path(mounts).read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    target = Path(folder).resolve()
    best: tuple[int, str, list[str]] | None = None
    for line in lines:
        parts = line.split()
        if len(parts) < 4:
            continue
        point = Path(_unescape(parts[1]))
        if (target == point or point in target.parents) and (
            best is None or len(point.parts) > best[0]
        ):
            best = (len(point.parts), parts[2], parts[3].split(","))
    if best is None or best[1] not in NFS:
        return None
    local = next((o for o in best[2] if o in LOCAL_LOCKS), None)
    if local is None:
        return None
    return (
        f"{folder} is on NFS mounted with {local}, so a run's lock holds on one "
        "machine only and two workers could train one run: remount it with locks "
        "(without nolock/local_lock) or use another shared folder"
    )


def _unescape(field: str) -> str:
    """A mount point as /proc/mounts writes it: spaces and tabs as octal."""
    for code, char in (("\\040", " "), ("\\011", "\t"), ("\\134", "\\")):
        field = field.replace(code, char)
    return field
