"""``python -m core``: every user error is one line on stderr and exit status 1.

A command line argparse refuses is one line too, with its status 2.

A table of bad inputs runs against every registered command: models that do
not take images, class names of the wrong count, corrupt or foreign model
files, outputs in missing or read-only folders or that are folders, bad
project files, unknown options. Most rows run in-process through
``core.cli.main`` (TensorFlow is imported once); one row per command also runs
as ``python -m core`` in a subprocess, the way a script calls it.

A read-only folder is simulated by patching ``open``/``os.open`` (CI runs as
root, where ``chmod`` does not stop a write).
"""

from __future__ import annotations

import builtins
import contextlib
import io
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import keras
import pytest
from PIL import Image

from core.cli import build_parser, main
from core.inference.export import export_keras
from core.model_files.class_names import sidecar_path
from tests.core.inference.test_gradcam import app_model

ROOT = Path(__file__).resolve().parents[2]
# TensorFlow's C++ start-up lines (absl, oneDNN, CUDA probing) are not ours.
TF_NOISE = re.compile(r"^(WARNING: All log messages before absl|[IWEF]\d{4} )")


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> Path:
    """One folder of bad (and a few good) inputs shared by every row."""
    d = tmp_path_factory.mktemp("inputs")
    export_keras(app_model(3), d / "good.keras", ["a", "b", "c"])
    vector = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(2, activation="softmax")]
    )
    vector.save(d / "vector.keras")
    app_model(3).save(d / "named.keras")
    sidecar_path(d / "named.keras").write_text('{"class_names": ["x", "y"]}')
    (d / "corrupt.keras").write_bytes(b"\x00\x01 not a zip archive" * 20)
    with zipfile.ZipFile(d / "foreign.keras", "w") as archive:
        archive.writestr("readme.txt", "a zip, but no model")
    (d / "notes.h5").write_text("plain text, not HDF5")
    (d / "folder.keras").mkdir()
    (d / "out_folder").mkdir()
    Image.new("RGB", (12, 10), "red").save(d / "image.png")
    run = d / "run"
    run.mkdir()
    app_model(3).save(run / "best.keras")
    (run / "config.json").write_text(
        json.dumps({"dataset": {"classes": ["a", "b", "c"]}})
    )
    broken_run = d / "broken_run"
    broken_run.mkdir()
    (broken_run / "best.keras").write_bytes(b"junk")
    (broken_run / "config.json").write_text(
        json.dumps({"dataset": {"classes": ["a", "b"]}})
    )
    (d / "damaged.cnnwb.json").write_text('{"format": "cnn-workbench-project", ')
    (d / "foreign.cnnwb.json").write_text('{"format": "something-else"}')
    (d / "binary.cnnwb.json").write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")
    (d / "project_folder.cnnwb.json").mkdir()
    (d / "read_only").mkdir()
    return d


# (argv with {d} for the inputs folder, text the one line must contain)
USAGE_CASES = [
    (["presets", "--bogus"], "unrecognized arguments: --bogus"),
    (["no-such-command"], "invalid choice"),
    (["summary"], "one of the arguments"),
    (["predict", "{d}/good.keras", "{d}/image.png", "--top-k", "x"], "invalid int"),
    (["train", "{d}/x.cnnwb.json", "--learning-rate", "0.1"], "goes with --resume"),
    (["train", "--resume", "{d}/run", "--dataset", "mnist"], "as recorded"),
    (["evaluate"], "the following arguments are required"),
    (["runs", "--bogus", "x"], "unrecognized arguments"),
    (["sweep", "{d}/x.cnnwb.json", "x.json", "--trials", "-1"], "must be from 0"),
    (["card"], "the following arguments are required"),
]
CASES = [
    (["summary", "{d}/missing.cnnwb.json"], "no such file"),
    (["summary", "{d}/project_folder.cnnwb.json"], "is a folder"),
    (["summary", "{d}/damaged.cnnwb.json"], "not valid JSON"),
    (["summary", "{d}/foreign.cnnwb.json"], "not a CNN Workbench project"),
    (["summary", "{d}/binary.cnnwb.json"], "not a CNN Workbench project"),
    (["summary", "--preset", "no-such-preset"], "unknown preset"),
    (["summary", "--preset", "mnist-convnet", "--unfreeze-last", "2"], "backbone"),
    (["dataset-info", "{d}/missing-folder"], "does not exist"),
    (["dataset-info", "{d}/image.png"], "is not a folder"),
    (["dataset-info", "{d}/out_folder"], "at least two classes"),
    (["dataset-info", "mnist", "--local", "{d}/no-idx-here"], "no-idx-here"),
    (["predict", "{d}/vector.keras", "{d}/image.png"], "does not take images"),
    (["predict", "{d}/named.keras", "{d}/image.png"], "2 class names"),
    (["predict", "{d}/corrupt.keras", "{d}/image.png"], "not a Keras model file"),
    (["predict", "{d}/foreign.keras", "{d}/image.png"], "not a Keras model file"),
    (["predict", "{d}/notes.h5", "{d}/image.png"], "not a Keras model file"),
    (["predict", "{d}/image.png", "{d}/image.png"], "not a Keras model file"),
    (["predict", "{d}/folder.keras", "{d}/image.png"], "is a folder"),
    (["predict", "{d}/missing.keras", "{d}/image.png"], "no such model file"),
    (["predict", "{d}/good.keras", "{d}/missing.png"], "no such file or folder"),
    (["predict", "{d}/good.keras", "{d}/out_folder"], "no images found"),
    (["predict", "{d}/good.keras", "{d}/image.png", "--top-k", "0"], "at least 1"),
    (["export", "{d}/run", "{d}/missing-folder/out.keras"], "does not exist"),
    (["export", "{d}/run", "{d}/out_folder"], "is a folder"),
    (["export", "{d}/run", "{d}/folder.keras"], "is a folder"),
    (["export", "{d}/run", "{d}/out.h5"], "must end in .keras"),
    (["export", "{d}/run", "{d}/read_only/out.keras"], "permission denied"),
    (["export", "{d}/broken_run", "{d}/out.keras"], "not a Keras model file"),
    (["export", "{d}/missing-run", "{d}/out.keras"], "no such project file"),
    (["export", "{d}/run", "{d}/out.keras", "--int8"], "ending in .tflite"),
    (["export", "{d}/run", "{d}/o.tflite", "--int8-max-drop", "1"], "--int8 export"),
    (["export", "{d}/run", "{d}/o.tflite", "--int8"], "calibrates on training images"),
    (["train", "{d}/missing.cnnwb.json"], "no such file"),
    (["lr-find", "{d}/missing.cnnwb.json"], "no such file"),
    (["lr-find", "{d}/damaged.cnnwb.json"], "damaged"),
    (["sweep", "{d}/missing.cnnwb.json", "--list"], "no such file"),
    (["sweep", "{d}/damaged.cnnwb.json", "{d}/x.json"], "not valid JSON"),
    (["train", "{d}/foreign.cnnwb.json"], "not a CNN Workbench project"),
    (["train", "--preset", "no-such-preset"], "unknown preset"),
    (["train", "--resume", "{d}/out_folder"], "not a run folder"),
    (["train", "--resume", "{d}/run"], "did not record its dataset"),
    (["evaluate", "{d}/good.keras"], "needs --dataset"),
    (["evaluate", "{d}/broken_run"], "did not record its dataset"),
    (["evaluate", "{d}/broken_run", "--dataset", "mnist"], "not a Keras model file"),
    (["evaluate", "{d}/vector.keras", "--dataset", "mnist"], "does not take images"),
    (["runs", "{d}/missing.cnnwb.json"], "no such project file"),
    (["data-quality", "{d}/out_folder"], "not a run folder"),
    (["data-quality", "{d}/run"], "did not record its dataset"),
    (["evaluate", "{d}/good.keras", "--calibrate"], "needs a run folder"),
    (["evaluate", "{d}/run", "--calibrate"], "has not finished"),
    (["export", "{d}/run", "{d}/out.keras", "--calibrated"], "has no calibration"),
    (["card", "{d}/out_folder"], "not a run folder"),
    (["card", "{d}/missing-run"], "not a run folder"),
    (["card", "{d}/broken_run"], "not a Keras model file"),
]


def argv_for(case: list[str], d: Path) -> list[str]:
    return [a.replace("{d}", str(d)) for a in case]


@contextlib.contextmanager
def read_only(folder: Path):
    """Make every attempt to create a file or folder inside ``folder`` fail."""
    real_open, real_os_open, real_mkdir = builtins.open, os.open, os.mkdir
    inside = str(folder.resolve()) + os.sep

    def denied(path) -> bool:
        try:
            return str(Path(os.fspath(path)).resolve()).startswith(inside)
        except TypeError:  # a file descriptor
            return False

    def fake_open(file, mode="r", *args, **kwargs):
        if any(c in mode for c in "wax+") and denied(file):
            raise PermissionError(13, "Permission denied", os.fspath(file))
        return real_open(file, mode, *args, **kwargs)

    def fake_os_open(path, flags, *args, **kwargs):
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT) and denied(path):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_os_open(path, flags, *args, **kwargs)

    def fake_mkdir(path, *args, **kwargs):
        if denied(path):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_mkdir(path, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(builtins, "open", fake_open)
        patch.setattr(io, "open", fake_open)
        patch.setattr(os, "open", fake_os_open)
        patch.setattr(os, "mkdir", fake_mkdir)
        yield


def run_in_process(argv: list[str], d: Path, capsys) -> tuple[int, str]:
    guard = read_only(d / "read_only") if "read_only" in " ".join(argv) else None
    with guard or contextlib.nullcontext():
        try:
            status = main(argv)
        except SystemExit as exc:  # argparse's way out, if it still took it
            status = exc.code
    return status, capsys.readouterr().err


def assert_one_line(status, err: str, expected: str, code: int = 1) -> None:
    lines = [line for line in err.splitlines() if not TF_NOISE.match(line)]
    assert "Traceback" not in err
    assert status == code, err
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    assert expected.lower() in lines[0].lower(), lines[0]


def test_every_command_has_rows():
    commands = set(build_parser()._subparsers._group_actions[0].choices)
    assert commands <= {argv[0] for argv, _ in CASES + USAGE_CASES}


@pytest.mark.parametrize(("case", "expected"), USAGE_CASES, ids=lambda v: str(v)[:60])
def test_a_usage_error_is_one_line_and_status_2(case, expected, files, capsys):
    status, err = run_in_process(argv_for(case, files), files, capsys)
    assert_one_line(status, err, expected, code=2)


@pytest.mark.parametrize(("case", "expected"), CASES, ids=lambda v: str(v)[:60])
def test_a_user_error_is_one_line_and_status_1(case, expected, files, capsys):
    status, err = run_in_process(argv_for(case, files), files, capsys)
    assert_one_line(status, err, expected)
    assert not (files / "out.keras").exists()
    assert not list((files / "read_only").iterdir())


def test_export_leaves_no_partial_file_when_the_write_fails(files, capsys):
    out = files / "read_only" / "kept.keras"
    with read_only(files / "read_only"):
        assert main(["export", str(files / "run"), str(out)]) == 1
    assert "Permission denied" in capsys.readouterr().err
    assert list((files / "read_only").iterdir()) == []


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        (["summary", "{d}/foreign.cnnwb.json"], "not a CNN Workbench project"),
        (["dataset-info", "{d}/image.png"], "is not a folder"),
        (["predict", "{d}/corrupt.keras", "{d}/image.png"], "not a Keras model file"),
        (["export", "{d}/run", "{d}/out_folder"], "is a folder"),
    ],
    ids=lambda v: str(v)[:40],
)
def test_as_a_script_sees_it(case, expected, files):
    """``python -m core`` in a subprocess: status 1, one line, no traceback."""
    done = subprocess.run(
        [sys.executable, "-m", "core", *argv_for(case, files)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert_one_line(done.returncode, done.stderr, expected)


def test_a_read_only_data_folder_only_costs_the_backbone_cache(
    tmp_path, monkeypatch, capsys
):
    """The layer table cannot be cached: the summary is still printed."""
    import core.backbone_table as tables

    data = tmp_path / "data"
    data.mkdir()
    monkeypatch.setenv("CNN_WORKBENCH_DATA_DIR", str(data))
    monkeypatch.setattr(tables, "_memory", {})
    with read_only(data):
        assert main(["summary", "--preset", "vgg16-cifar10-transfer"]) == 0
    assert "Total params: 14,916,426" in capsys.readouterr().out
    assert list(data.rglob("*.json")) == []


def test_a_full_disk_keeps_the_earlier_export(tmp_path, files, capsys):
    """Writing fails with ENOSPC after the file was opened (and so truncated)."""
    import errno

    from core.model_files.loading import load_model_file

    out = tmp_path / "model.keras"
    # 4: kept "not verified", the run recorded no data to check it on
    assert main(["export", str(files / "run"), str(out)]) == 4
    before = out.read_bytes()
    capsys.readouterr()
    real_open = builtins.open

    def full_disk(file, mode="r", *args, **kwargs):
        handle = real_open(file, mode, *args, **kwargs)
        if any(c in mode for c in "wax+"):
            handle.close()
            raise OSError(errno.ENOSPC, "No space left on device", os.fspath(file))
        return handle

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(builtins, "open", full_disk)
        patch.setattr(io, "open", full_disk)
        status = main(["export", str(files / "run"), str(out)])
    assert_one_line(status, capsys.readouterr().err, "No space left on device")
    assert out.read_bytes() == before
    kept = sorted(p.name for p in tmp_path.iterdir())
    assert kept == ["model.keras", "model.keras.card.md", "model.keras.verify.json"]
    load_model_file(out)
