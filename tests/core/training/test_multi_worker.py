"""``--strategy multi-worker``: two CPU worker processes on localhost ports.

Each case starts two real workers with their own ``TF_CONFIG`` (a new Python
process each, importing TensorFlow), so the cases are few and the projects
tiny. A worker is either the command (``python -m core train``) or a script
calling ``run_session``, as a cluster job would, which also saves the final
weights and the images its share held for the test to compare.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from core.augmentation.config import AugmentationConfig
from core.data.spec import DatasetSpec
from core.errors import WorkbenchError
from core.project import Project, save_project
from core.training.config import TrainingConfig
from core.training.multi_worker import ClusterTask, cluster_task, localhost_configs
from tests.tiny_model import tiny_spec

ROOT = Path(__file__).resolve().parents[3]

# A worker as a script: run_session under the strategy, then what it trained
# on and the weights it ended with. Only observes: the shard helper is wrapped,
# not replaced.
WORKER_SCRIPT = """
import json, sys
from pathlib import Path
import numpy as np
from core.training import multi_worker
multi_worker.strategy()
from core.data.load import open_dataset
from core.project import load_project
from core.runs import Run, RunStore
from core.training import session
project_file, out, resume = sys.argv[1:4]
seen = {}
shard = session.worker_shard
def observed(dataset, split, worker, workers):
    part = shard(dataset, split, worker, workers)
    seen["paths"] = part.splits[split].paths
    return part
session.worker_shard = observed
project = load_project(project_file)
done = session.run_session(
    project.model, dataset=open_dataset(project.dataset), cfg=project.training,
    augmentation=project.augmentation, store=RunStore.beside(project_file),
    label="tiny",
    resume=Run(Path(resume)) if resume else None, strategy="multi-worker",
)
# The weights training ended with: the chief's run's model is its best one.
import keras
final = done.model
if done.run:
    final = keras.models.load_model(done.run.path / "last.keras")
np.savez(out, *final.get_weights())
with open(out + ".json", "w") as f:
    json.dump({"paths": seen["paths"], "message": done.result.message,
               "reason": done.result.stop_reason.value,
               "epochs": done.result.epochs_run,
               "run": str(done.run.path) if done.run else None}, f)
"""


def folder_project(
    tmp_path: Path,
    epochs: int = 2,
    augmentation: AugmentationConfig | None = None,
    init: str = "default",
    **training,
) -> Path:
    """Two classes of 16x16 PNGs and one PNG only TensorFlow fails to decode;
    ``init`` starts the first convolution (a whitening one computed from data)."""
    from PIL import Image

    rng = np.random.default_rng(0)
    root = tmp_path / "data"
    for split, count in (("train", 9), ("test", 2)):
        for name in ("a", "b"):
            (root / split / name).mkdir(parents=True)
            for i in range(count):
                pixels = rng.integers(0, 255, (16, 16, 3), dtype=np.uint8)
                Image.fromarray(pixels).save(root / split / name / f"{i}.png")
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    broken = buffer.getvalue()[: len(buffer.getvalue()) // 2]  # the scan passes it
    (root / "train" / "a" / "broken.png").write_bytes(broken)
    spec = tiny_spec(2, size=16, name="tiny")
    layers = tuple(
        layer.with_options(init=init) if layer.name == "conv2d_1" else layer
        for layer in spec.layers
    )
    project = Project(
        name="tiny",
        model=replace(spec, layers=layers),
        augmentation=augmentation or AugmentationConfig(),
        dataset=DatasetSpec(
            kind="folder", name="f", path=str(root), validation_fraction=0.2
        ),
        training=TrainingConfig(**{"epochs": epochs, "batch_size": 4} | training),
    )
    return save_project(project, tmp_path / "tiny.cnnwb.json")


class Workers:
    """Two worker processes of one cluster; their output goes to files."""

    def __init__(self, tmp_path: Path, name: str) -> None:
        self.folder = tmp_path / name
        self.folder.mkdir()
        self.configs = localhost_configs(2)
        self.temp = self.folder / "tmp"  # the workers' temporary folders
        self.temp.mkdir()
        self.procs: list[subprocess.Popen] = []

    def start(self, argv_for: list[list[str]]) -> None:
        for index, argv in enumerate(argv_for):
            env = {
                **os.environ,
                "PYTHONPATH": str(ROOT),
                "TF_CONFIG": self.configs[index],
                "TMPDIR": str(self.temp),
            }
            self.procs.append(
                subprocess.Popen(
                    [sys.executable, *argv],
                    stdout=open(self.folder / f"out{index}", "w"),  # noqa: SIM115
                    stderr=open(self.folder / f"err{index}", "w"),  # noqa: SIM115
                    env=env,
                    cwd=ROOT,
                )
            )

    def output(self, index: int) -> str:
        out = (self.folder / f"out{index}").read_text()
        return out + (self.folder / f"err{index}").read_text()

    def wait_for(self, index: int, text: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output(index):
            assert self.procs[index].poll() is None, self.output(index)
            assert time.monotonic() < deadline, self.output(index)
            time.sleep(0.2)

    def wait(self, timeout: float = 150) -> list[int]:
        try:
            return [p.wait(timeout=timeout) for p in self.procs]
        finally:
            for p in self.procs:
                p.kill()


def train_command(project: Path, *extra: str) -> list[str]:
    return ["-m", "core", "train", str(project), "--strategy", "multi-worker", *extra]


def script(project: Path, out: Path, resume: str = "") -> list[str]:
    return ["-c", WORKER_SCRIPT, str(project), str(out), resume]


def test_two_workers_train_different_shards_to_the_same_weights(tmp_path):
    # One image per worker per step: the broken PNG leaves its worker a batch
    # short, and that worker must still take as many steps as the other.
    project = folder_project(tmp_path, batch_size=2)
    workers = Workers(tmp_path, "cluster")
    outs = [tmp_path / f"weights{i}.npz" for i in range(2)]
    workers.start([script(project, out) for out in outs])
    assert workers.wait() == [0, 0], workers.output(0) + workers.output(1)
    chief, other = (json.loads(Path(f"{o}.json").read_text()) for o in outs)
    # Different, equal shares of the train split, chosen before decoding.
    assert len(chief["paths"]) == len(other["paths"]) > 0
    assert not set(chief["paths"]) & set(other["paths"])
    # The file only TensorFlow fails to decode did not deadlock the step: its
    # worker trained the same number of steps and reported it.
    owner = next(w for w in (chief, other) if any("broken" in p for p in w["paths"]))
    assert "1 images could not be decoded" in owner["message"]
    assert chief["epochs"] == other["epochs"] == 2
    for a, b in zip(*(np.load(o).values() for o in outs), strict=True):
        np.testing.assert_array_equal(a, b)
    # Only the chief has a run, complete; the other deleted its scratch folder.
    run = Path(chief["run"])
    assert other["run"] is None
    assert list(workers.temp.iterdir()) == []
    assert [p.name for p in run.parent.iterdir()] == [run.name]
    for name in ("config.json", "run.json", "history.csv", "best.keras"):
        assert (run / name).is_file(), name
    for name in ("last.keras", "evaluation.json"):
        assert (run / name).is_file(), name
    record = json.loads((run / "run.json").read_text())
    assert record["epochs_run"] == 2
    assert record["replicas"] == 2
    assert "worker 1 of 2" in record["device"]


def test_the_fast_recipes_settings_train_alike_on_both_workers(tmp_path):
    # Muon, the one-cycle schedule, the alternating flip and a whitening first
    # convolution: the four issue-26 settings the loop does not refuse. Each
    # worker whitens from the whole training split and flips by the same pass
    # counter, so both must end with the chief's weights, and the run says so.
    project = folder_project(
        tmp_path,
        epochs=3,
        augmentation=AugmentationConfig(flip="alternating"),
        init="whitening (frozen)",
        optimizer="muon",
        learning_rate=0.02,
        schedule="one_cycle",
    )
    workers = Workers(tmp_path, "cluster")
    outs = [tmp_path / f"weights{i}.npz" for i in range(2)]
    workers.start([script(project, out) for out in outs])
    assert workers.wait() == [0, 0], workers.output(0) + workers.output(1)
    for a, b in zip(*(np.load(o).values() for o in outs), strict=True):
        np.testing.assert_array_equal(a, b)
    chief = json.loads(Path(f"{outs[0]}.json").read_text())
    assert chief["epochs"] == 3
    run = Path(chief["run"])
    config = json.loads((run / "config.json").read_text())
    assert config["training"]["optimizer"] == "muon"
    assert config["augmentation"]["flip"] == "alternating"
    assert json.loads((run / "run.json").read_text())["replicas"] == 2


def test_a_killed_worker_ends_the_other_with_a_message_not_a_hang(tmp_path):
    project = folder_project(tmp_path, epochs=500)
    workers = Workers(tmp_path, "cluster")
    workers.start([train_command(project), train_command(project)])
    workers.wait_for(0, "epoch 2/500")  # training runs on both
    workers.procs[1].kill()
    killed = time.monotonic()
    code = workers.procs[0].wait(timeout=90)
    assert time.monotonic() - killed < 60
    assert code == 3  # training failed, the run kept
    assert "lost contact with another worker" in workers.output(0)
    assert "Traceback" not in workers.output(0)
    workers.wait()
    [run] = (tmp_path / "tiny.runs").iterdir()  # the chief kept what ran
    record = json.loads((run / "run.json").read_text())
    assert record["stop_reason"] == "failed"
    assert record["epochs_run"] >= 2


def test_sigint_to_the_chief_stops_both_at_the_same_step_and_the_run_resumes(
    tmp_path,
):
    project = folder_project(tmp_path, epochs=500, backup_and_restore=True)
    workers = Workers(tmp_path, "cluster")
    workers.start([train_command(project), train_command(project)])
    workers.wait_for(1, "epoch 2/500")
    workers.procs[0].send_signal(signal.SIGINT)
    assert workers.wait() == [130, 130]
    stops = [
        [x for x in workers.output(i).splitlines() if x.startswith("all workers stop")]
        for i in range(2)
    ]
    assert len(stops[0]) == 1, stops
    assert stops[0] == stops[1]
    [run] = (tmp_path / "tiny.runs").iterdir()
    record = json.loads((run / "run.json").read_text())
    assert record["stop_reason"] == "cancelled"
    done_epochs = record["epochs_run"]
    assert (run / "backup").is_dir()
    # Resume: the chief continues its run from its folder; the other worker,
    # as on a machine without that folder, starts from the project (500
    # epochs) and takes the chief's weights, optimizer state and epochs.
    resumed = Workers(tmp_path, "resumed")
    out = tmp_path / "other.npz"
    more = ["--epochs", str(done_epochs + 1), "--strategy", "multi-worker"]
    resume = ["-m", "core", "train", "--resume", str(run), *more]
    resumed.start([resume, script(project, out)])
    assert resumed.wait() == [0, 0], resumed.output(0) + resumed.output(1)
    record = json.loads((run / "run.json").read_text())
    assert record["epochs_run"] == done_epochs + 1  # one more epoch after the stop
    assert record["resumes"][-1]["from_epoch"] == done_epochs
    other = json.loads(Path(f"{out}.json").read_text())
    assert other["epochs"] == 1
    import keras

    chief_weights = keras.models.load_model(run / "last.keras").get_weights()
    for a, b in zip(chief_weights, np.load(out).values(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_no_tf_config_is_one_clear_message(tmp_path):
    project = folder_project(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CONFIG": ""}
    done = subprocess.run(
        [sys.executable, *train_command(project)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 1
    assert "set TF_CONFIG on every worker" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("tf_config", "says"),
    [
        ("{not json", "TF_CONFIG is not a cluster and a task"),
        ('{"cluster": {}, "task": {"type": "worker", "index": 0}}', "not in its"),
        (
            '{"cluster": {"worker": ["h:1"]}, "task": {"type": "worker", "index": 3}}',
            "task worker 3 is not in its cluster",
        ),
    ],
)
def test_a_wrong_tf_config_is_named_before_tensorflow_reads_it(tf_config, says):
    with pytest.raises(WorkbenchError, match=says):
        cluster_task(tf_config)


def test_the_chief_task_is_index_zero_and_workers_follow_it():
    cluster = {"chief": ["c:1"], "worker": ["w:1", "w:2"]}
    config = {"cluster": cluster, "task": {"type": "worker", "index": 1}}
    assert cluster_task(json.dumps(config)) == ClusterTask(index=2, workers=3)
