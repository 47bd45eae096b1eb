"""``python -m core train``: a tiny project trained headless in a subprocess.

Each case runs the real command (a new Python process imports TensorFlow, so
the cases are few and the project tiny: 60 shapes at 32x32, one epoch); a case
that has run it once checks further forms through the same ``main()`` in-process.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.data.load import open_dataset
from core.data.spec import DatasetSpec
from core.project import Project, load_project, save_project
from core.training.config import TrainingConfig
from core.training.preflight import problems, refusal
from tests.conftest import isolate_user_dirs
from tests.tiny_model import tiny_spec

ROOT = Path(__file__).resolve().parents[3]


def tiny_project(tmp_path: Path, **training) -> Path:
    spec = tiny_spec(6, name="tiny")
    project = Project(
        name="tiny",
        model=spec,
        dataset=DatasetSpec(name="shapes", count=60, image_size=(32, 32)),
        training=TrainingConfig(**{"epochs": 1, "batch_size": 8, **training}),
    )
    return save_project(project, tmp_path / "tiny.cnnwb.json")


def core_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "core", *args]


def run_core(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        core_command(*args),
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=ROOT,
    )


def runs_of(project: Path) -> list[Path]:
    folder = project.parent / "tiny.runs"
    return sorted(p for p in folder.iterdir() if p.is_dir())


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> tuple[Path, Path]:
    """``(project, run)``: the tiny project trained once, for the tests that
    only read its run (a ``train`` process costs seconds of TensorFlow import)."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        isolate_user_dirs(monkeypatch, tmp_path_factory.mktemp("home"))
        project = tiny_project(tmp_path_factory.mktemp("trained"))
        done = run_core("train", str(project))
    assert done.returncode == 0, done.stderr
    [run] = runs_of(project)
    return project, run


def test_train_writes_a_run_beside_the_project_one_line_per_epoch(tmp_path):
    project = tiny_project(tmp_path)
    done = run_core("train", str(project), "--epochs", "2")
    assert done.returncode == 0, done.stderr
    [run] = runs_of(project)
    record = json.loads((run / "run.json").read_text())
    assert record["epochs_run"] == 2
    assert (run / "best.keras").is_file()
    epoch_lines = [x for x in done.stdout.splitlines() if x.startswith("epoch ")]
    assert [x.split()[1] for x in epoch_lines] == ["1/2", "2/2"]
    assert "val_accuracy" in epoch_lines[0]
    assert "\r" not in done.stdout  # not a terminal: no progress bar
    # TensorFlow's start-up log (oneDNN, CUDA, CPU instructions) is not shown.
    for noise in ("oneDNN", "cuda", "cpu_feature_guard", "absl"):
        assert noise not in done.stderr


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (["train", "missing.cnnwb.json"], 1, "no such file"),
        (["train"], 2, "one of the arguments"),
        (["train", "--preset", "no-such-preset"], 1, "unknown preset"),
    ],
)
def test_exit_codes_for_user_and_usage_errors(args, code, says):
    done = run_core(*args)
    assert done.returncode == code
    assert says in done.stderr
    assert "Traceback" not in done.stderr


def start_training(project: Path) -> subprocess.Popen:
    """``train`` in the background, returned once its first epoch has ended."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        core_command("train", str(project)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("epoch "):
            return proc
    proc.kill()
    raise AssertionError(proc.stderr.read() if proc.stderr else "no epoch line")


def test_sigterm_stops_after_the_batch_and_keeps_a_resumable_run(tmp_path):
    project = tiny_project(tmp_path, epochs=200)
    proc = start_training(project)
    try:
        proc.send_signal(signal.SIGTERM)
        started = time.monotonic()
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 143, err
    assert time.monotonic() - started < 30
    assert "python -m core train --resume" in err
    [run] = runs_of(project)
    record = json.loads((run / "run.json").read_text())
    assert record["stop_reason"] == "cancelled"


def train_mirrored_on_two_cpus(project: Path) -> subprocess.CompletedProcess:
    """``train --strategy mirrored`` where TensorFlow sees two logical CPUs."""
    script = (
        "import sys, tensorflow as tf\n"
        "cpu = tf.config.list_physical_devices('CPU')[0]\n"
        "tf.config.set_logical_device_configuration(\n"
        "    cpu, [tf.config.LogicalDeviceConfiguration()] * 2)\n"
        "from core.cli import main\n"
        f"sys.exit(main(['train', {str(project)!r}, '--strategy', 'mirrored']))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=ROOT,
    )


def test_mirrored_strategy_trains_on_two_logical_cpus(tmp_path):
    project = tiny_project(tmp_path, epochs=1)
    done = train_mirrored_on_two_cpus(project)
    assert done.returncode == 0, done.stderr
    [run] = runs_of(project)
    record = json.loads((run / "run.json").read_text())
    assert record["replicas"] == 2
    assert "2 CPU devices (MirroredStrategy)" in record["device"]


def test_a_batch_that_does_not_split_over_the_replicas_is_refused(tmp_path):
    project = tiny_project(tmp_path, batch_size=7)
    done = train_mirrored_on_two_cpus(project)
    assert done.returncode == 1
    assert "batch size 7 does not split evenly over 2 replicas" in done.stderr


def test_runs_lists_the_trained_run_as_text_and_json(trained, capsys):
    from core.cli import main

    project, run = trained
    done = run_core("runs", str(project), "--json")
    assert done.returncode == 0, done.stderr
    [row] = json.loads(done.stdout)
    assert row["run"] == run.name
    assert row["epochs_run"] == 1
    assert row["stop_reason"] == "completed"
    assert main(["runs", str(project)]) == 0
    header, line = capsys.readouterr().out.splitlines()
    assert header.split()[:3] == ["run", "started", "epochs_run"]
    assert line.startswith(run.name)


def test_a_diverging_run_exits_3_with_the_reason_and_keeps_its_record(tmp_path):
    project = tiny_project(tmp_path, learning_rate=9.0, optimizer="sgd")
    data = json.loads(project.read_text())
    # Inputs scaled to ~1e36 make the loss infinite on the first batch.
    data["model"]["layers"][0]["config"]["scale"] = 1e36
    project.write_text(json.dumps(data))
    done = run_core("train", str(project), "--verbose")
    assert done.returncode == 3, done.stderr
    assert "training failed: the loss became NaN at epoch 1" in done.stderr
    # --verbose shows TensorFlow's own C++ log lines (absl's "E0000 ..." form;
    # which ones depends on the machine: oneDNN's, cuInit's, a GPU's)
    assert re.search(r"^[IWEF]\d{4} ", done.stderr, re.MULTILINE), done.stderr
    [run] = runs_of(project)
    assert json.loads((run / "run.json").read_text())["stop_reason"].startswith(
        "diverged"
    )


def test_ctrl_c_stops_prints_the_resume_command_and_resume_continues(tmp_path, capsys):
    from core.cli import main

    project = tiny_project(tmp_path, epochs=200)
    proc = start_training(project)
    try:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    [run] = runs_of(project)
    stopped_after = json.loads((run / "run.json").read_text())["epochs_run"]
    command = next(x for x in err.splitlines() if x.startswith("resume with: "))
    args = command.removeprefix("resume with: python -m core ").split()
    assert args == ["train", "--resume", str(run)]
    # The printed command through main() in-process: a third process would
    # import TensorFlow again (some 8 CPU-s).
    more = ["--epochs", str(stopped_after + 1), "--learning-rate", "0.01"]
    assert main([*args, *more]) == 0, capsys.readouterr().err
    record = json.loads((run / "run.json").read_text())
    assert record["epochs_run"] == stopped_after + 1
    [resumed] = record["resumes"]
    assert resumed["from_epoch"] == stopped_after
    assert "learning_rate" in resumed["changed"]


def test_a_run_being_trained_is_locked_against_a_second_process(tmp_path, capsys):
    from core.cli import main

    project = tiny_project(tmp_path, epochs=200)
    proc = start_training(project)
    try:
        [run] = runs_of(project)
        # This process is the second one: main() here, where a new process
        # would import TensorFlow (some 8 CPU-s) while the first one trains.
        status = main(["train", "--resume", str(run), "--epochs", "300"])
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=60)
    err = capsys.readouterr().err
    assert status == 1
    assert "is being trained by another process (pid" in err
    assert len(err.strip().splitlines()) == 1


def test_evaluate_a_run_and_a_model_file(trained, capsys):
    from core.cli import main

    _, run = trained
    done = run_core("evaluate", str(run), "--json")
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout)
    assert sum(map(sum, figures["confusion"])) == 6  # shapes' 10% test split
    assert len(figures["per_class"]) == 6
    # The text form and the refusal through the same main() in this process:
    # two more processes would each import TensorFlow (some 8 CPU-s).
    assert main(["evaluate", str(run)]) == 0
    text = capsys.readouterr().out
    assert text.splitlines()[0].startswith("test accuracy")
    assert "top-3 accuracy" in text  # 3 < 6 classes
    assert main(["evaluate", str(run / "best.keras")]) == 1
    assert "needs --dataset" in capsys.readouterr().err


def test_evaluate_a_model_file_on_a_folder_uses_every_image(tmp_path, trained, capsys):
    import numpy as np
    from PIL import Image

    from core.cli import main

    _, run = trained
    folder = tmp_path / "photos"
    rng = np.random.default_rng(0)
    for c in range(6):
        (folder / f"class{c}").mkdir(parents=True)
        for i in range(2):
            pixels = rng.integers(0, 255, (40, 48, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(folder / f"class{c}" / f"{i}.png")
    done = run_core(
        "evaluate", str(run / "best.keras"), "--dataset", str(folder), "--json"
    )
    assert done.returncode == 0, done.stderr
    assert sum(map(sum, json.loads(done.stdout)["confusion"])) == 12
    # An exported model takes any size: the folder's images are fed as they are.
    # Export and evaluate through main() in this process: two more processes
    # would each import TensorFlow (some 8 CPU-s).
    exported = tmp_path / "exported.keras"
    assert main(["export", str(run), str(exported)]) == 0
    capsys.readouterr()
    assert main(["evaluate", str(exported), "--dataset", str(folder), "--json"]) == 0
    assert sum(map(sum, json.loads(capsys.readouterr().out)["confusion"])) == 12


def test_the_pre_flight_checks_refuse_as_the_app_does(tmp_path, capsys):
    from core.cli import main

    project = tiny_project(tmp_path)
    data = json.loads(project.read_text())
    data["model"]["head"]["num_classes"] = 3  # shapes has 6
    project.write_text(json.dumps(data))
    # main() in-process: a process would import TensorFlow (some 8 CPU-s) to
    # refuse; test_exit_codes_for_user_and_usage_errors runs refusals as processes.
    assert main(["train", str(project)]) == 1
    [line] = capsys.readouterr().err.splitlines()[-1:]
    assert line.startswith("error: The model classifies 3 classes but shapes has 6")
    assert not (tmp_path / "tiny.runs").exists()  # refused before a run folder
    # The Training page's refusal, in the project file's terms, not its pages'.
    p = load_project(project)
    found = problems(p.model, open_dataset(p.dataset), p.training)
    assert line == f"error: {refusal([w.command_line for w in found])}"
    assert "model.head.num_classes" in line
    assert "page" not in line


@pytest.mark.slow
def test_training_prints_none_of_tensorflows_own_log_lines(tmp_path):
    """TF 2.21 logged "Tensor RefCount not reliable if buf_ points to a
    SubBuffer" at ERROR level from C++ while airbench94's network trained on a
    JPEG folder (28 lines in one epoch on the small CIFAR-10 folder)."""
    small = ROOT.parent / "shared" / "datasets" / "cifar-10-jpg-small"
    if not small.is_dir():
        pytest.skip("needs ../shared/datasets/cifar-10-jpg-small")
    project = ROOT / "bench" / "projects" / "airbench94-baseline.cnnwb.json"
    # A user's shell, not this suite's (tests/conftest.py sets level 2).
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    done = subprocess.run(
        core_command(
            "train",
            str(project),
            "--dataset",
            str(small),
            "--epochs",
            "1",
            "--run-dir",
            str(tmp_path),
        ),
        capture_output=True,
        text=True,
        timeout=300,
        env={**env, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert not re.search(r"^[IWEF]\d{4} ", done.stderr, re.MULTILINE), done.stderr[
        :2000
    ]
