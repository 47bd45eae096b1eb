"""Make the compatibility corpus: files written by CNN Workbench at commit 683ab05.

The corpus under ``tests/compat/corpus/`` freezes what users already have on
disk (project files, run folders, exported models) as the code of commit
683ab05 wrote them, before issue #23 and the settings-system issue changed any
schema. ``tests/compat/test_corpus.py`` opens, lists, evaluates, resumes and
exports every item with the code of the day, so a later change that can no
longer read an old file fails a test.

DO NOT RERUN THIS SCRIPT WITH NEWER CODE. Its whole point is that the files
come from the old code; regenerating them with today's code would make the
tests check the new code against itself. It refuses to run unless the ``core``
it imports is a checkout of 683ab05 and the output folder is empty. To make the
corpus again (only to add an item the old code could write), use a worktree:

    git -C /work/main worktree add /tmp/base-corpus 683ab05
    cp tests/compat/make_corpus.py /tmp/base-corpus/tests/compat/
    cd /tmp/base-corpus && PYTHONPATH=/tmp/base-corpus \\
        nice -n 19 python tests/compat/make_corpus.py
    cp -r /tmp/base-corpus/tests/compat/corpus /work/main/tests/compat/

Runs train on the built-in ``shapes`` dataset (generated, nothing to
download), tiny models and few epochs, so the whole corpus stays small. Runs
whose ending the command line can produce are made by real ``python -m core``
subprocesses (completed, killed with SIGKILL mid-epoch, resumed, exported);
the others go through ``run_session`` as the desktop's worker calls it, with a
listener that does what the user or the machine did (Stop pressed, an
exception, a full disk). ``corpus/MANIFEST.json`` says what each item is.

The two-phase run trains a MobileNetV2 backbone (the smallest the app offers)
whose 2.3 million weights alone make each ``.keras`` file 17 MB. Its weights
come from a weights file of zeros this script writes (a backbone weights file
is an ordinary setting), so the run folder compresses to a few kilobytes; it
is committed as ``runs/two-phase-run.tar.gz`` and the tests unpack it into
their copy of the corpus.
"""

from __future__ import annotations

import argparse
import csv
import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

COMMIT = "683ab05"
HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
PROJECT = "tiny"  # the project the run folders belong to: runs/tiny.runs/
DATA_COUNT = 240  # shapes images: 192 train, 24 validation, 24 test
BATCH = 4  # 48 steps an epoch: long enough to be killed in the middle of one


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=HERE / "corpus")
    args = parser.parse_args()
    out: Path = args.out.resolve()
    _refuse_newer_code(out)
    scratch = out.parent / ".corpus-scratch"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    os.environ.update(
        CNN_WORKBENCH_DATA_DIR=str(scratch / "user-data"),
        CUDA_VISIBLE_DEVICES="",
        TF_CPP_MIN_LOG_LEVEL="2",
        KERAS_BACKEND="tensorflow",
        PYTHONPATH=str(REPO),
    )
    manifest: dict[str, Any] = {"commit": COMMIT, "projects": {}, "runs": {}}
    manifest["projects"] = preset_projects(out / "projects")
    runs_dir = out / "runs"
    project_file = tiny_project(runs_dir)
    store_root = runs_dir / f"{PROJECT}.runs"
    manifest["runs"].update(cli_completed(project_file, store_root))
    manifest["runs"].update(cli_killed(project_file, store_root))
    manifest["runs"].update(in_process_runs(project_file, store_root, scratch))
    manifest["runs"].update(two_phase(runs_dir, scratch))
    manifest["exports"] = exports(store_root, manifest["runs"], out / "exports")
    for logs in out.rglob("logs"):  # TensorBoard's (off by default): not kept
        shutil.rmtree(logs)
    (out / "MANIFEST.json").write_text(json.dumps(manifest, indent=2) + "\n")
    shutil.rmtree(scratch)
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"corpus written to {out}: {size / 1e6:.2f} MB")
    return 0


def _refuse_newer_code(out: Path) -> None:
    import core

    source = Path(core.__file__).resolve().parents[1]
    head = subprocess.run(
        ["git", "-C", str(source), "rev-parse", "HEAD"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if not head.startswith(COMMIT) or source != REPO:
        sys.exit(
            f"error: this corpus freezes the files of commit {COMMIT}; core here is "
            f"{source} at {head[:7]}. Run it from a worktree of {COMMIT} with "
            "PYTHONPATH set to it (see the docstring); never with newer code."
        )
    if out.exists() and any(out.iterdir()):
        sys.exit(f"error: {out} is not empty; the corpus is made once")


# -- project files -----------------------------------------------------------


def preset_projects(folder: Path) -> dict[str, Any]:
    """Every bundled preset's recipe, saved as the app saves a project.

    The app's Presets menu loads a recipe into the open document
    (``load_recipe``: the preset's project under the document's name) and
    File > Save writes the document; ``ProjectDocument.save`` is that save.
    """
    from core.document import ProjectDocument
    from core.presets import all_presets

    folder.mkdir(parents=True)
    made = {}
    for name, preset in all_presets().items():
        document = ProjectDocument(replace(preset.project(), name=name))
        path = document.save(folder / f"{name}.cnnwb.json")
        made[path.name] = {"preset": name, "backbone": preset.spec.backbone is not None}
    return made


def tiny_project(folder: Path) -> Path:
    """The project every run folder belongs to: a tiny CNN on shapes."""
    from core.data.spec import DatasetSpec
    from core.document import ProjectDocument
    from core.project import Project
    from core.training.config import TrainingConfig
    from tests.tiny_model import tiny_spec

    folder.mkdir(parents=True)
    project = Project(
        name=PROJECT,
        model=tiny_spec(6, size=32, name=PROJECT),
        dataset=DatasetSpec(name="shapes", count=DATA_COUNT),
        training=TrainingConfig(epochs=2, batch_size=BATCH),
    )
    return ProjectDocument(project).save(folder / f"{PROJECT}.cnnwb.json")


# -- runs made by the command line -------------------------------------------


def core_cli(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [sys.executable, "-m", "core", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    print(f"python -m core {' '.join(args)} -> exit {done.returncode}")
    if check and done.returncode != 0:
        sys.exit(f"error: the command failed:\n{done.stderr[-3000:]}")
    return done


def new_runs(store_root: Path, before: set[Path]) -> list[Path]:
    return sorted(set(store_root.iterdir()) - before) if store_root.is_dir() else []


def existing(store_root: Path) -> set[Path]:
    return set(store_root.iterdir()) if store_root.is_dir() else set()


def cli_completed(project_file: Path, store_root: Path) -> dict[str, Any]:
    before = existing(store_root)
    core_cli("train", str(project_file), "--epochs", "2")
    [run] = new_runs(store_root, before)
    return {
        run.name: entry(
            "completed",
            "python -m core train tiny.cnnwb.json --epochs 2",
            resumable=True,
        )
    }


def logged_epochs(run: Path) -> int:
    try:
        with open(run / "history.csv", newline="") as f:
            return sum(1 for _ in csv.DictReader(f))
    except (FileNotFoundError, ValueError, csv.Error):
        return 0


def cli_killed(project_file: Path, store_root: Path) -> dict[str, Any]:
    """``python -m core train`` SIGKILLed in the middle of its third epoch.

    Once the history shows two epochs (their times measured), it waits about
    half an epoch, so the kill lands inside epoch 3.
    """
    before = existing(store_root)
    process = subprocess.Popen(
        [sys.executable, "-m", "core", "train", str(project_file), "--epochs", "30"],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    seen: dict[int, float] = {}
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline and process.poll() is None:
        runs = new_runs(store_root, before)
        epochs = logged_epochs(runs[0]) if runs else 0
        if epochs and epochs not in seen:
            seen[epochs] = time.monotonic()
        if epochs >= 2 and 1 in seen:
            time.sleep((seen[2] - seen[1]) / 2)
            process.send_signal(signal.SIGKILL)
            process.wait(30)
            break
        time.sleep(0.01)
    else:
        process.kill()
        sys.exit("error: the run to kill never logged two epochs")
    [run] = new_runs(store_root, before)
    logged = logged_epochs(run)
    if (run / "run.json").exists() or logged >= 30:
        sys.exit("error: the killed run ended before the kill")
    return {
        run.name: entry(
            "killed",
            f"python -m core train tiny.cnnwb.json --epochs 30, SIGKILL after "
            f"{logged} epochs were logged (mid-epoch {logged + 1}); no run.json",
            resumable=True,
            epochs_logged=logged,
        )
    }


# -- runs made through run_session (what the desktop's worker calls) ---------


def doing(at_epoch: int, action: Any) -> Any:
    """A listener that acts early in an epoch: a Stop, an exception, a full disk.

    Batches reach a listener at most a few times a second, but an epoch's
    first batch always does: it acts there, after batch 1 of ``at_epoch``.
    """
    from core.training.events import NullListener

    class Doing(NullListener):
        def on_batch_end(self, epoch: int, batch: int, logs: dict[str, float]) -> None:
            if epoch == at_epoch:
                action()

    return Doing()


def in_process_runs(
    project_file: Path, store_root: Path, scratch: Path
) -> dict[str, Any]:
    from core.data.load import open_dataset
    from core.errors import WorkbenchError
    from core.project import load_project
    from core.runs import RunStore
    from core.spec import LayerSpec
    from core.training.session import run_session

    project = load_project(project_file)
    assert project.dataset is not None
    data = open_dataset(project.dataset)
    store = RunStore(store_root)
    made: dict[str, Any] = {}

    def session(label: str, listener: Any, cancel: threading.Event, **kw: Any) -> Path:
        spec = kw.pop("spec", project.model)
        cfg = replace(project.training, **kw)
        try:
            run_session(
                spec,
                dataset=data,
                cfg=cfg,
                augmentation=project.augmentation,
                listener=listener,
                cancel=cancel,
                store=store,
                label=label,
                data_spec=project.dataset,
            )
        except WorkbenchError as exc:
            print(f"{label}: {exc}")
        [run] = [r.path for r in store.list() if r.name.endswith(f"-{label}")]
        return run

    def stop_in(epoch: int, label: str, **kw: Any) -> Path:
        cancel = threading.Event()
        return session(label, doing(epoch, cancel.set), cancel, **kw)

    run = stop_in(1, "stopped", epochs=5)
    made[run.name] = entry(
        "stopped",
        "run_session, 5 epochs, Stop (the cancel event) after batch 1 of epoch 2",
        resumable=True,
    )

    def crash() -> None:
        raise RuntimeError("the listener crashed (a bug elsewhere in the process)")

    run = session("failed", doing(1, crash), threading.Event(), epochs=5)
    made[run.name] = entry(
        "failed",
        "run_session, 5 epochs, a RuntimeError raised after batch 1 of epoch 2: the "
        "record run_session's _failed writes (stop_reason failed, no best_epoch)",
    )

    def full_disk() -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    run = session("disk-full", doing(1, full_disk), threading.Event(), epochs=5)
    made[run.name] = entry(
        "failed",
        "run_session, 5 epochs, OSError ENOSPC after batch 1 of epoch 2: the engine's "
        "'could not write to the run folder' ending, a whole record",
    )

    # Raw 0-255 pixels (no rescaling) into a linear convolution, SGD at
    # learning rate 1.0: the loss becomes NaN within a few batches.
    raw = replace(
        project.model,
        layers=(
            LayerSpec.create("Rescaling", "rescaling_1", {"scale": 1.0}),
            LayerSpec.create(
                "Conv2D",
                "conv2d_1",
                {"filters": 4, "strides": 2, "activation": "linear"},
            ),
            *project.model.layers[2:],
        ),
    )
    run = session(
        "diverged",
        None,
        threading.Event(),
        spec=raw,
        epochs=5,
        optimizer="sgd",
        learning_rate=1.0,
    )
    record = json.loads((run / "run.json").read_text())
    if not record["stop_reason"].startswith("diverged"):
        sys.exit(f"error: the diverged run ended {record['stop_reason']}")
    made[run.name] = entry(
        "diverged",
        "run_session, raw pixels (Rescaling scale 1), a linear Conv2D, SGD "
        "learning rate 1.0: "
        f"NaN loss after {record['epochs_run']} complete epochs",
        has_model=(run / "best.keras").exists() or (run / "last.keras").exists(),
    )

    run = stop_in(1, "resumed", epochs=3)
    core_cli("train", "--resume", str(run), "--epochs", "3", "--learning-rate", "0.002")
    made[run.name] = entry(
        "resumed",
        "run_session, 3 epochs, stopped in epoch 2; then python -m core train "
        "--resume RUN --epochs 3 --learning-rate 0.002 (completed)",
        resumable=True,
    )
    return made


def two_phase(runs_dir: Path, scratch: Path) -> dict[str, Any]:
    """A frozen MobileNetV2 (weights: a file of zeros), 1 epoch, then 1 fine-tuning.

    The settings are tests/core/training/test_two_phase.py's. The run folder
    is packed as ``two-phase-run.tar.gz``, paths inside relative to
    ``runs_dir`` (``tiny.runs/<run>/...``).
    """
    import keras

    from core.backbone_builder import make_base
    from core.data.load import open_dataset
    from core.data.spec import DatasetSpec
    from core.runs import RunStore
    from core.spec import HeadSpec, InputSpec, LayerSpec, ModelSpec
    from core.training.config import TrainingConfig
    from core.training.session import run_session

    weights = scratch / "mobilenetv2-zeros.weights.h5"
    base = make_base("MobileNetV2", input_shape=(32, 32, 3))
    for variable in base.weights:
        variable.assign(keras.ops.zeros(variable.shape, variable.dtype))
    base.save_weights(weights)
    spec = ModelSpec(
        InputSpec(32, 32, 3),
        (
            LayerSpec.create(
                "Backbone",
                "mobilenet",
                {
                    "architecture": "MobileNetV2",
                    "weights": str(weights),
                    "freeze": "all",
                },
            ),
            LayerSpec.create("GlobalAveragePooling2D", "gap_1"),
            LayerSpec.create("Dense", "dense_1", {"units": 8, "activation": "linear"}),
        ),
        HeadSpec(6, "softmax"),
        name="transfer",
    )
    data_spec = DatasetSpec(name="shapes", count=60)
    cfg = TrainingConfig(
        epochs=1,
        batch_size=8,
        learning_rate=0.01,
        fine_tune=True,
        fine_tune_epochs=1,
        fine_tune_lr_factor=0.1,
        fine_tune_from="block_16_expand",
    )
    store = RunStore(scratch / f"{PROJECT}.runs")
    out = run_session(
        spec,
        dataset=open_dataset(data_spec),
        cfg=cfg,
        store=store,
        label="two-phase",
        data_spec=data_spec,
    )
    run = out.run.path
    assert out.run.record()["phase_boundary"] == 1
    with tarfile.open(runs_dir / "two-phase-run.tar.gz", "w:gz") as archive:
        archive.add(run, arcname=f"{PROJECT}.runs/{run.name}")
    return {
        run.name: entry(
            "two-phase",
            "run_session: MobileNetV2 backbone (weights: a file of zeros, frozen), "
            "1 epoch, then 1 fine-tuning epoch from block_16_expand; packed in "
            "runs/two-phase-run.tar.gz. Its weights file is gone (it lived in a "
            "scratch folder), so it is not rebuilt or resumed",
            archived="two-phase-run.tar.gz",
        )
    }


def entry(kind: str, how: str, **more: Any) -> dict[str, Any]:
    return {"kind": kind, "how": how, "has_model": True, "resumable": False, **more}


# -- exported models ----------------------------------------------------------


def exports(store_root: Path, runs: dict[str, Any], folder: Path) -> dict[str, Any]:
    """The completed run exported three ways: names inside, in a sidecar, none."""
    from unittest import mock

    from core.inference import export as export_module
    from core.inference.export import export_keras, serving_model
    from core.inference.loading import load_model_file
    from core.runs import Run

    folder.mkdir(parents=True)
    [completed] = [n for n, e in runs.items() if e["kind"] == "completed"]
    run = store_root / completed
    inside = folder / "shapes.keras"
    core_cli("export", str(run), str(inside))
    model_file, classes = Run(run).kept_model()  # type: ignore[misc]
    model = load_model_file(model_file)
    # The names go to NAME.keras.json when the archive cannot take a member.
    sidecar = folder / "shapes-sidecar.keras"
    refused = OSError(errno.EROFS, "the archive cannot be reopened for appending")
    with mock.patch.object(export_module, "_write_member", side_effect=refused):
        export_keras(model, sidecar, classes)
    assert (folder / "shapes-sidecar.keras.json").is_file()
    plain = folder / "shapes-no-names.keras"
    serving_model(model).save(plain)  # as a plain Keras script saves one
    return {
        inside.name: {
            "class_names": classes,
            "how": f"python -m core export RUN {inside.name} (the completed run)",
        },
        sidecar.name: {
            "class_names": classes,
            "how": "export_keras with the archive refusing a new member: names in "
            "shapes-sidecar.keras.json",
        },
        plain.name: {
            "class_names": None,
            "how": "the serving model of the completed run saved by plain Keras "
            "(model.save): no class names anywhere",
        },
    }


if __name__ == "__main__":
    sys.exit(main())
