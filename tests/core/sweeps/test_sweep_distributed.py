"""A distributed sweep: KerasTuner's chief and two workers on localhost.

Three ``python -m core sweep --distributed`` processes, as on three machines
sharing the runs folder: the chief holds the search and trains nothing, the
workers train the trials. Also the refusals of a wrong environment and of a
runs folder whose locks would not hold across machines.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest

from core.errors import WorkbenchError
from core.runs import RunStore
from core.sweeps.distributed import CHIEF, LOCAL, WORKER, lock_problem, sweep_role
from core.sweeps.folder import COMPLETED, list_sweeps
from tests.tiny_model import saved_tiny_project


def test_the_role_comes_from_kerastuners_variables():
    env = {
        "KERASTUNER_TUNER_ID": "chief",
        "KERASTUNER_ORACLE_IP": "127.0.0.1",
        "KERASTUNER_ORACLE_PORT": "8000",
    }
    assert sweep_role(True, env).kind == CHIEF
    assert sweep_role(True, {**env, "KERASTUNER_TUNER_ID": "tuner1"}).kind == WORKER
    assert sweep_role(False, {}).kind == LOCAL
    with pytest.raises(WorkbenchError, match="give --distributed"):
        sweep_role(False, env)
    with pytest.raises(WorkbenchError, match="needs KERASTUNER_ORACLE_PORT set"):
        sweep_role(True, {k: v for k, v in env.items() if "PORT" not in k})
    with pytest.raises(WorkbenchError, match="must be a port number"):
        sweep_role(True, {**env, "KERASTUNER_ORACLE_PORT": "http"})


def test_nfs_without_shared_locks_is_refused(tmp_path):
    mounts = tmp_path / "mounts"
    mounts.write_text(
        "/dev/sda1 / ext4 rw,relatime 0 0\n"
        "server:/runs /mnt/runs nfs4 rw,vers=4.2,local_lock=none 0 0\n"
        "server:/old /mnt/old\\040runs nfs rw,vers=3,nolock 0 0\n"
    )
    assert lock_problem("/mnt/runs/my.runs", str(mounts)) is None
    assert lock_problem("/home/me/my.runs", str(mounts)) is None
    problem = lock_problem("/mnt/old runs/my.runs", str(mounts))
    assert problem is not None
    assert "NFS mounted with nolock" in problem
    assert lock_problem("/anywhere", str(tmp_path / "no-mounts")) is None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_a_chief_and_two_workers_share_one_sweep(tmp_path):
    pytest.importorskip("keras_tuner")
    project = saved_tiny_project(tmp_path, "tiny")
    sweep = tmp_path / "SWEEP.json"
    rates = {"values": [0.001, 0.003, 0.01]}
    sweep.write_text(
        json.dumps(
            {"name": "wide", "trials": 3, "vary": {"training.learning_rate": rates}}
        )
    )
    port = str(_free_port())
    command = [sys.executable, "-m", "core", "sweep", str(project), str(sweep)]
    processes = {}
    for tuner_id in ("chief", "tuner0", "tuner1"):
        env = {
            **os.environ,
            "KERASTUNER_TUNER_ID": tuner_id,
            "KERASTUNER_ORACLE_IP": "127.0.0.1",
            "KERASTUNER_ORACLE_PORT": port,
            "TF_CPP_MIN_LOG_LEVEL": "2",
        }
        processes[tuner_id] = subprocess.Popen(
            [*command, "--distributed"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
    outputs = {}
    for tuner_id, process in processes.items():
        outputs[tuner_id], _ = process.communicate(timeout=1200)
        assert process.returncode == 0, (tuner_id, outputs[tuner_id][-3000:])
        assert "Traceback" not in outputs[tuner_id]

    [folder] = list_sweeps(RunStore.beside(project).root)
    trials = folder.trials()
    assert [t.status for t in trials] == [COMPLETED] * 3
    assert {t.tuner_id for t in trials} <= {"tuner0", "tuner1"}  # the chief trains none
    assert sorted(t.values["training.learning_rate"] for t in trials) == rates["values"]
    runs = RunStore.beside(project).list()
    assert sorted(r.name for r in runs) == sorted(t.run for t in trials)
    assert "sweep wide: its trials are spent" in outputs["chief"]
