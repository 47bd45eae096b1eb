"""Built-in datasets: shapes (generated), MNIST, Fashion-MNIST and CIFAR-10.

Each real dataset is looked for, in order: the folder the user pointed at, the
Keras cache, and the shared offline datasets folder; only then downloaded (with
progress). When the download fails the error says so and tells the user which
local files to point at, so the app also works on a machine with no network.
"""

from __future__ import annotations

import os
import pickle
import shutil
import tarfile
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np

from core.data.download import download, keras_cache_dir
from core.data.idx import read_idx_pair
from core.errors import DatasetError
from core.paths import user_data_dir

Progress = Callable[[float, str], None]
Arrays = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]

IDX_FILES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)
CLASS_NAMES: dict[str, tuple[str, ...]] = {
    "mnist": tuple(str(d) for d in range(10)),
    "fashion-mnist": (
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ),
    "cifar10": (
        "airplane",
        "automobile",
        "bird",
        "cat",
        "deer",
        "dog",
        "frog",
        "horse",
        "ship",
        "truck",
    ),
}
ORIGINS = {
    "mnist": "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "fashion-mnist": "https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
    "cifar10": "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
}
# sha256 of the decompressed IDX files of the official releases: mirrors
# re-gzip them (other .gz bytes, same content), and MNIST and Fashion-MNIST
# files have the same sizes, so only the content tells them apart.
OFFICIAL_SHA256: dict[str, dict[str, str]] = {
    "mnist": dict(
        zip(
            IDX_FILES,
            (
                "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
                "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
                "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
                "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
            ),
            strict=True,
        )
    ),
    "fashion-mnist": dict(
        zip(
            IDX_FILES,
            (
                "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
                "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
                "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
                "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
            ),
            strict=True,
        )
    ),
}
CIFAR_ARCHIVE = "cifar-10-jpg.tar.gz"
BUILTIN_NAMES = ("shapes", "mnist", "fashion-mnist", "cifar10")
IDX_NAMES = ("mnist", "fashion-mnist")  # the built-ins read from IDX files


def shared_datasets_dir() -> Path:
    """The offline data beside the project (``../shared/datasets``), overridable."""
    override = os.environ.get("CNN_WORKBENCH_DATASETS")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[3] / "shared" / "datasets"


def load_idx(
    name: str,
    local: str | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    notes: list[str] | None = None,
) -> Arrays:
    """MNIST or Fashion-MNIST as ``(x_train, y_train, x_test, y_test)`` uint8/int64.

    Files that are not the official ones (another set's, or changed) load,
    with a warning appended to ``notes``.

    Raises:
        DatasetError: not found locally and the download failed.
        IdxFileError: a file is damaged or does not match its partner (named).
    """
    cache = keras_cache_dir() / name
    if local and not _has_idx(Path(local)):
        # Asked for by name: never quietly replaced by another copy.
        files = ", ".join(IDX_FILES)
        raise DatasetError(f"{local} does not hold the four {name} IDX files ({files})")
    candidates = [Path(local)] if local else [cache, shared_datasets_dir() / name]
    folder = next((d for d in candidates if _has_idx(d)), None)
    if folder is None:
        try:
            for i, file in enumerate(IDX_FILES):
                download(
                    ORIGINS[name] + file,
                    cache / file,
                    f"{name} {file} ({i + 1}/4)",
                    progress,
                    cancel,
                )
        except DatasetError as exc:
            raise DatasetError(
                f"{exc}. {name} is not on this computer and could not be downloaded: "
                f"point at a folder holding its IDX files ({', '.join(IDX_FILES)})"
            ) from None
        folder = cache
    classes = len(CLASS_NAMES[name])
    digests: dict[str, str] = {}
    x_train, y_train = read_idx_pair(
        folder / IDX_FILES[0], folder / IDX_FILES[1], classes, digests
    )
    x_test, y_test = read_idx_pair(
        folder / IDX_FILES[2], folder / IDX_FILES[3], classes, digests
    )
    note = unofficial_files(name, folder, digests)
    if note and notes is not None:
        notes.append(note)
    return x_train, y_train, x_test, y_test


def unofficial_files(name: str, folder: Path, digests: dict[str, str]) -> str | None:
    """A warning when the IDX files are not ``name``'s official ones, else None."""
    official = OFFICIAL_SHA256[name]
    if digests == official:
        return None
    for other, sums in OFFICIAL_SHA256.items():
        if other != name and set(digests.values()) <= set(sums.values()):
            return (
                f"{folder} holds the {other} files, not {name}'s: they are "
                f"trained under {name}'s class names"
            )
    changed = [f for f in IDX_FILES if digests.get(f) != official[f]]
    return (
        f"{', '.join(changed)} in {folder} differ from the official {name} "
        f"files: results are not comparable with published {name} figures"
    )


def _has_idx(folder: Path) -> bool:
    return all((folder / f).is_file() for f in IDX_FILES)


def cifar10_source(
    local: str | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> Arrays | Path:
    """CIFAR-10 as arrays (official pickles) or a folder-per-class tree of JPEGs.

    Looks at ``local`` (a folder tree or the ``cifar-10-jpg.tar.gz`` archive), the
    Keras cache, an already unpacked archive, and the shared folder's archive;
    then downloads the official archive.
    """
    if local:
        path = Path(local)
        if path.is_dir():
            return path
        if path.is_file() and path.name.endswith((".tar.gz", ".tgz")):
            return _unpack_jpg_archive(path, progress)
        raise DatasetError(
            f"{local} is neither a folder of class folders nor {CIFAR_ARCHIVE}"
        )
    batches = keras_cache_dir() / "cifar-10-batches-py"
    if (batches / "test_batch").is_file():
        return _read_cifar_pickles(batches)
    unpacked = user_data_dir() / "datasets" / "cifar-10-jpg"
    if (unpacked / "train").is_dir():
        return unpacked
    shared = shared_datasets_dir() / "cifar-10-jpg" / CIFAR_ARCHIVE
    if shared.is_file():
        return _unpack_jpg_archive(shared, progress)
    archive = keras_cache_dir() / "cifar-10-python.tar.gz"
    try:
        download(ORIGINS["cifar10"], archive, "CIFAR-10 (170 MB)", progress, cancel)
    except DatasetError as exc:
        raise DatasetError(
            f"{exc}. CIFAR-10 is not on this computer and could not be downloaded: "
            f"point at a folder with one folder per class, or at {CIFAR_ARCHIVE}"
        ) from None
    with tarfile.open(archive) as tar:
        tar.extractall(keras_cache_dir(), filter="data")
    return _read_cifar_pickles(batches)


def _unpack_jpg_archive(archive: Path, progress: Progress | None) -> Path:
    """Unpack once into the user data folder; later loads reuse the folder."""
    target = user_data_dir() / "datasets" / "cifar-10-jpg"
    if (target / "train").is_dir():
        return target
    partial = target.with_name(target.name + ".part")
    shutil.rmtree(partial, ignore_errors=True)  # left by an interrupted unpack
    if progress:
        progress(0.0, f"unpacking {archive.name} (once)")
    try:
        with tarfile.open(archive) as tar:
            tar.extractall(partial, filter="data")
    except (OSError, tarfile.TarError) as exc:
        raise DatasetError(f"{archive} cannot be unpacked ({exc})") from None
    inner = next((p for p in partial.rglob("train") if p.is_dir()), None)
    if inner is None:
        raise DatasetError(f"{archive} has no train/ folder of classes")
    inner.parent.rename(target)
    shutil.rmtree(partial, ignore_errors=True)
    return target


def _read_cifar_pickles(folder: Path) -> Arrays:
    def batch(name: str) -> tuple[np.ndarray, np.ndarray]:
        with open(folder / name, "rb") as f:
            d = pickle.load(f, encoding="bytes")
        x = (
            np.asarray(d[b"data"], np.uint8)
            .reshape(-1, 3, 32, 32)
            .transpose(0, 2, 3, 1)
        )
        return x, np.asarray(d[b"labels"], np.int64)

    parts = [batch(f"data_batch_{i}") for i in range(1, 6)]
    x_test, y_test = batch("test_batch")
    return (
        np.concatenate([p[0] for p in parts]),
        np.concatenate([p[1] for p in parts]),
        x_test,
        y_test,
    )
