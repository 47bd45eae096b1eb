"""Data a user gives the app: refused in one line, or warned about, never a traceback.

Each case was seen in #23: a project asking for a trillion shapes images, a
negative split seed, a gzip bomb named like an MNIST file, a 10,000 : 3 class
imbalance that left the small class untested, Fashion-MNIST files given as
MNIST, a class-folder tree given to a Fashion-MNIST preset, and library
warnings on the console. The split indices of ordinary datasets are pinned to
the values the code before the fix gave (683ab05): a run's test set and its
recorded fingerprint must not move under it.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core.cli import main
from core.data import builtin
from core.data.builtin import IDX_FILES
from core.data.checks import dataset_warnings
from core.data.dataset import Dataset, Split, stratified_split
from core.data.idx import IdxFileError, read_idx
from core.data.load import open_dataset
from core.data.spec import DatasetSpec
from core.errors import DatasetError
from core.presets import starter_project
from core.project import save_project
from core.training.job import Overrides, for_this_machine, preset_project
from tests.core.data.test_idx_files import idx_bytes, write_idx_set
from tests.reliability.test_cli_user_errors import TF_NOISE

ROOT = Path(__file__).resolve().parents[2]
SHARED = builtin.shared_datasets_dir()


def one_error_line(status: int, err: str, expected: str) -> None:
    lines = [line for line in err.splitlines() if not TF_NOISE.match(line)]
    assert "Traceback" not in err
    assert status == 1, err
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    assert expected.lower() in lines[0].lower(), lines[0]


def run_cli(argv: list[str], capsys) -> tuple[int, str, str]:
    status = main(argv)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def python_here(script: str) -> subprocess.CompletedProcess:
    """``script`` in a fresh interpreter of this checkout (a limit, a patch)."""
    return subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=os.environ | {"PYTHONPATH": str(ROOT)},
        timeout=300,
    )


def train_until_the_run(folder: Path, capsys, monkeypatch) -> str:
    """What ``train --dataset FOLDER`` says before its run begins (stderr)."""
    monkeypatch.setattr(
        "core.training.session.run_session",
        lambda *a, **k: (_ for _ in ()).throw(DatasetError("stopped here")),
    )
    status, _, err = run_cli(
        ["train", "--preset", "shapes-starter", "--dataset", str(folder)], capsys
    )
    assert status == 1
    return err


# --- settings out of their declared range -----------------------------------


def test_a_trillion_shapes_images_are_refused_before_any_memory_is_taken(
    tmp_path, capsys
):
    project = save_project(starter_project(), tmp_path / "big.cnnwb.json")
    data = json.loads(project.read_text())
    data["dataset"]["count"] = 1_000_000_000_000
    project.write_text(json.dumps(data))
    status, _, err = run_cli(["train", str(project)], capsys)
    one_error_line(status, err, "dataset.count: must be from 10 to 100,000")


def test_a_negative_split_seed_is_one_line(capsys):
    status, _, err = run_cli(["dataset-info", "shapes", "--seed", "-1"], capsys)
    one_error_line(status, err, "seed: must be from 0")


def test_the_data_page_seed_box_offers_the_declared_range(qtbot):
    from core.data.spec import BOUNDS
    from desktop.pages.dataset_source import DatasetSource

    assert BOUNDS["seed"] == (0, 2**31 - 1)
    assert BOUNDS["count"] == (10, 100_000)
    box = DatasetSource()
    qtbot.addWidget(box)
    assert (box.seed_spin.minimum(), box.seed_spin.maximum()) == BOUNDS["seed"]


# --- a gzip bomb named like an IDX file ---------------------------------------


def gzip_bomb(path: Path, header_count: int, zeros: int) -> Path:
    """An IDX header for ``header_count`` 28x28 images, then ``zeros`` zero bytes."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # gzip framing
    chunk = bytes(1 << 20)
    with open(path, "wb") as f:
        f.write(packer.compress(idx_bytes(np.zeros((0, 28, 28)))[:4]))
        f.write(
            packer.compress(
                b"".join(d.to_bytes(4, "big") for d in (header_count, 28, 28))
            )
        )
        for _ in range(zeros >> 20):
            f.write(packer.compress(chunk))
        f.write(packer.flush())
    return path


def test_a_gzip_bomb_is_refused_under_a_memory_limit(tmp_path):
    """300 MB of zeros after a header for 100 images, read under a 150 MB margin."""
    bomb = gzip_bomb(tmp_path / IDX_FILES[0], 100, 300 << 20)
    script = f"""
import resource, sys
from pathlib import Path
from core.data.idx import read_idx
from core.errors import DatasetError
status = open("/proc/self/status").read().split("VmSize:")[1]
vm = int(status.split()[0]) * 1024
resource.setrlimit(resource.RLIMIT_AS, (vm + (150 << 20), resource.RLIM_INFINITY))
try:
    read_idx(Path({str(bomb)!r}), 3)
except DatasetError as exc:
    print("refused:", exc)
"""
    done = python_here(script)
    assert "MemoryError" not in done.stderr, done.stderr[-2000:]
    assert done.returncode == 0, done.stderr[-2000:]
    assert "refused:" in done.stdout
    assert "longer than its header says" in done.stdout


def test_a_header_claiming_more_than_its_file_can_hold_is_refused_unread(tmp_path):
    path = tmp_path / IDX_FILES[0]
    path.write_bytes(gzip.compress(idx_bytes(np.zeros((1, 28, 28)))[:4] + b"\xff" * 12))
    with pytest.raises(IdxFileError, match="more data than a file of"):
        read_idx(path, 3)


def test_the_idx_headers_are_compared_before_any_data_is_read(tmp_path, monkeypatch):
    folder = write_idx_set(tmp_path / "mnist")
    (folder / IDX_FILES[1]).write_bytes(gzip.compress(idx_bytes(np.arange(29) % 10)))
    read = []
    monkeypatch.setattr("core.data.idx._read_into", lambda *a: read.append(a) or 0)
    with pytest.raises(IdxFileError, match="from different sets"):
        open_dataset(DatasetSpec(name="mnist", path=str(folder)))
    assert read == []


# --- a small class left out of the held-out splits --------------------------


# sha256 of the split indices 683ab05 gave (computed there): ordinary datasets,
# where every class gets images in every part with a fraction above 0.
SPLITS_BEFORE = {
    "shapes-8000-seed0": (np.arange(8000) % 6, (0.1, 0.1), 0, "1c6df07ade9e9a0a"),
    "shapes-600-seed42": (np.arange(600) % 6, (0.15, 0.05), 42, "465d67d4c2372df3"),
    "random-60000-val": (
        np.random.default_rng(1).integers(0, 10, 60000),
        (0.1,),
        0,
        "2fdd869dc97dbbaf",
    ),
    "folder-uneven": (
        np.repeat(np.arange(4), [500, 37, 15, 120]),
        (0.1, 0.1),
        3,
        "834091133eea4daf",
    ),
    "no-test-split": (
        np.repeat(np.arange(3), [40, 3, 9]),
        (0.2, 0.0),
        7,
        "3e62210d32827dc5",
    ),
    "fraction-of": (np.arange(10000) % 10, (0.1,), 0, "e6fd897ac0744bde"),
}


@pytest.mark.parametrize("case", SPLITS_BEFORE)
def test_ordinary_splits_are_byte_identical_to_683ab05(case):
    labels, fractions, seed, before = SPLITS_BEFORE[case]
    digest = hashlib.sha256()
    for part in stratified_split(labels, fractions, seed):
        digest.update(len(part).to_bytes(8, "little") + part.astype("<i8").tobytes())
    assert digest.hexdigest()[:16] == before


def test_a_rare_class_gets_one_validation_and_one_test_image():
    labels = np.repeat([0, 1], [10_000, 3])
    val, test, train = stratified_split(labels, (0.1, 0.1), 0)
    assert [int(np.sum(labels[p] == 1)) for p in (val, test, train)] == [1, 1, 1]
    # The large class's parts are what plain rounding gave.
    assert [int(np.sum(labels[p] == 0)) for p in (val, test, train)] == [
        1000,
        1000,
        8000,
    ]


def test_a_class_of_one_image_stays_in_training():
    *_, train = stratified_split(np.repeat([0, 1], [50, 1]), (0.1, 0.1), 0)
    assert 50 in train  # index 50 is the single image of class 1


def imbalanced_folder(root: Path, big: int, small: int) -> Path:
    for name, count in (("common", big), ("rare", small)):
        (root / name).mkdir(parents=True)
        for i in range(count):
            Image.new("L", (8, 8), i % 256).save(root / name / f"{i}.png")
    return root


def test_an_untested_class_and_strong_imbalance_are_warned_about():
    labels = np.repeat([0, 1], [60, 2])
    ds = Dataset(
        "d",
        ["common", "rare"],
        {
            "train": Split(labels),
            "validation": Split(np.zeros(6, np.int64)),
            "test": Split(np.zeros(6, np.int64)),
        },
    )
    warnings = dataset_warnings(ds)
    assert any("'rare' has no validation and no test images" in w for w in warnings)
    assert any("strongly imbalanced (30:1" in w for w in warnings)


def test_dataset_info_warns_about_an_imbalanced_folder(tmp_path, capsys):
    folder = imbalanced_folder(tmp_path / "pets", 120, 3)
    status, out, err = run_cli(["dataset-info", str(folder), "--quick"], capsys)
    assert status == 0, err
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines()[2:4]}
    assert rows["rare"] == ["1", "1", "1"]  # one image in each split
    warnings = [line for line in err.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 1
    assert "strongly imbalanced (96:1" in warnings[0]


def test_train_warns_before_it_trains(tmp_path, capsys, monkeypatch):
    folder = imbalanced_folder(tmp_path / "pets", 120, 1)
    err = train_until_the_run(folder, capsys, monkeypatch)
    assert "warning: class 'rare' has no validation and no test images" in err
    assert "warning: the classes are strongly imbalanced" in err


# --- the files of another dataset -------------------------------------------


def test_fashion_mnist_files_given_as_mnist_are_warned_about(tmp_path, monkeypatch):
    fashion = write_idx_set(tmp_path / "fashion")
    mnist = write_idx_set(tmp_path / "mnist", train=40)

    def sums(folder: Path) -> dict[str, str]:
        return {
            f: hashlib.sha256(gzip.decompress((folder / f).read_bytes())).hexdigest()
            for f in IDX_FILES
        }

    monkeypatch.setattr(
        builtin,
        "OFFICIAL_SHA256",
        {"mnist": sums(mnist), "fashion-mnist": sums(fashion)},
    )
    assert open_dataset(DatasetSpec(name="mnist", path=str(mnist))).notes == []
    notes = open_dataset(DatasetSpec(name="mnist", path=str(fashion))).notes
    assert len(notes) == 1
    assert "holds the fashion-mnist files, not mnist's" in notes[0]
    other = write_idx_set(tmp_path / "other", train=20)
    notes = open_dataset(DatasetSpec(name="fashion-mnist", path=str(other))).notes
    assert "differ from the official fashion-mnist files" in notes[0]


@pytest.mark.skipif(
    not (SHARED / "fashion-mnist" / IDX_FILES[3]).is_file(),
    reason="the real Fashion-MNIST files are not on this computer",
)
def test_the_real_fashion_mnist_files_are_known_for_what_they_are(capsys):
    status, _, err = run_cli(
        ["dataset-info", "mnist", "--local", str(SHARED / "fashion-mnist"), "--quick"],
        capsys,
    )
    assert status == 0, err
    assert "holds the fashion-mnist files, not mnist's" in err
    real = open_dataset(
        DatasetSpec(name="fashion-mnist", path=str(SHARED / "fashion-mnist"))
    )
    assert real.notes == []


# --- a class-folder tree given to a Fashion-MNIST preset ---------------------


def test_a_class_folder_tree_is_a_folder_dataset_for_an_idx_preset(tmp_path):
    folder = imbalanced_folder(tmp_path / "clothes", 12, 12)
    project = for_this_machine(
        preset_project("fashion-mnist-cnn"),
        tmp_path,
        Overrides(dataset=str(folder)),
    )
    assert project.dataset.kind == "folder"
    assert project.dataset.path == str(folder)


def test_a_folder_of_idx_files_stays_the_built_in(tmp_path):
    folder = write_idx_set(tmp_path / "fm")
    project = for_this_machine(
        preset_project("fashion-mnist-cnn"), tmp_path, Overrides(dataset=str(folder))
    )
    assert (project.dataset.kind, project.dataset.name) == ("builtin", "fashion-mnist")


# --- library warnings on the console ------------------------------------------


def test_pillow_decompression_bomb_warnings_stay_off_the_console(tmp_path):
    """A limit of 1,000 pixels makes every 40x40 image one (2x is an error)."""
    folder = tmp_path / "big"
    for name in ("a", "b"):
        (folder / name).mkdir(parents=True)
        for i in range(3):
            Image.new("RGB", (40, 40), (i * 50, 0, 0)).save(folder / name / f"{i}.png")
    script = (
        "import sys; from PIL import Image; Image.MAX_IMAGE_PIXELS = 1000; "
        "from core.cli import main; "
        f"sys.exit(main(['dataset-info', {str(folder)!r}, '--quick']))"
    )
    done = python_here(script)
    assert done.returncode == 0, done.stderr
    assert "DecompressionBombWarning" not in done.stderr


def test_train_says_how_many_files_it_left_out_and_where_they_are_listed(
    tmp_path, capsys, monkeypatch
):
    folder = imbalanced_folder(tmp_path / "pets", 12, 12)
    (folder / "rare" / "broken.png").write_text("not a png")
    (folder / "common" / "empty.png").write_bytes(b"")
    err = train_until_the_run(folder, capsys, monkeypatch)
    said = [line for line in err.splitlines() if line.startswith("skipped ")]
    assert said == [
        "skipped 2 files that cannot be used as images; python -m core "
        f"dataset-info {folder} --quick lists them"
    ]


PARTIAL_CACHE_READ = """
import os, sys
os.environ.pop("TF_CPP_MIN_LOG_LEVEL", None)  # a user's terminal, not the tests'
{setup}
import tensorflow as tf
batches = iter(tf.data.Dataset.range(1000).cache().batch(10))
next(batches)  # what the epoch-time probe does to a cached split
del batches
print("read", file=sys.stderr)
"""


def test_tensorflow_cache_warnings_stay_off_the_app_terminal():
    """The app sets the level the command line sets without --verbose."""
    shown = python_here(PARTIAL_CACHE_READ.format(setup=""))
    assert "cache_dataset_ops" in shown.stderr  # the line the app printed
    quiet = python_here(
        PARTIAL_CACHE_READ.format(
            setup="from desktop.app import quiet_tensorflow; quiet_tensorflow()"
        )
    )
    assert quiet.returncode == 0, quiet.stderr[-2000:]
    assert "read" in quiet.stderr
    assert "cache_dataset_ops" not in quiet.stderr
