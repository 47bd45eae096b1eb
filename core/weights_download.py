"""ImageNet weights for the backbones: the app's own table, download and check.

Keras exports no weights URLs (they live in its private ``keras.src``), and its
own download prints a console bar the GUI cannot show and cannot be cancelled.
So the app keeps a table of the ``include_top=False`` files its backbones use,
fetches a missing one with ``core.data.download.download`` (progress, cancel,
never a partial file under the final name) into Keras's cache folder, checks
its hash, and the builder hands the file to the public ``weights=`` argument of
``keras.applications.<Architecture>``. A file already in the cache (put there
by Keras or by an earlier run) is used as it is.

Progress and cancel reach the download through ``reporting_downloads``, which a
training session wraps around building the model, so the builder's signature
stays the same for callers that need neither.

Example:
    >>> with reporting_downloads(print):
    ...     path = imagenet_weights("VGG16")  # downloads once, then cached
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

from core.data.download import Progress, download, keras_cache_dir
from core.errors import WeightsError

# The table was read from the installed Keras's source (keras/src/applications/
# *.py, as text) for this release; its files have not changed in years.
TABLE_KERAS_VERSION = "3.15"
_GCS = "https://storage.googleapis.com/tensorflow/keras-applications/"


@dataclass(frozen=True)
class WeightsFile:
    """One downloadable ``include_top=False`` weights file.

    ``file_hash`` is the hash Keras's own source lists next to the URL, in the
    algorithm ``hash_algorithm`` names. Keras lists sha256 only for ConvNeXt;
    for the older files it lists md5 (and for MobileNetV2 nothing), and with no
    network here the sha256 of those files could not be computed, so the table
    records what Keras checks and no more.
    """

    architecture: str
    file_name: str
    url: str
    file_hash: str | None
    hash_algorithm: str | None
    keras_version: str = TABLE_KERAS_VERSION


def _entry(
    architecture: str, folder: str, file_name: str, file_hash: str | None
) -> WeightsFile:
    algorithm = None
    if file_hash is not None:
        algorithm = "sha256" if len(file_hash) == 64 else "md5"
    return WeightsFile(
        architecture, file_name, f"{folder}{file_name}", file_hash, algorithm
    )


IMAGENET_NOTOP: dict[str, WeightsFile] = {
    entry.architecture: entry
    for entry in (
        _entry(
            "VGG16",
            _GCS + "vgg16/",
            "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
            "6d6bbae143d832006294945121d1f1fc",
        ),
        _entry(
            "ResNet50",
            _GCS + "resnet/",
            "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5",
            "4d473c1dd8becc155b73f8504c6f6626",
        ),
        _entry(
            # The 224 file: Keras's own choice for an input size it has no file for.
            "MobileNetV2",
            _GCS + "mobilenet_v2/",
            "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5",
            None,  # Keras lists no hash for MobileNetV2
        ),
        _entry(
            "Xception",
            _GCS + "xception/",
            "xception_weights_tf_dim_ordering_tf_kernels_notop.h5",
            "b0042744bf5b25fce3cb969f33bebb97",
        ),
        _entry(
            "EfficientNetB0",
            "https://storage.googleapis.com/keras-applications/",
            "efficientnetb0_notop.h5",
            "50bc09e76180e00e4465e1a485ddc09d",
        ),
        _entry(
            "ConvNeXtTiny",
            _GCS + "convnext/",
            "convnext_tiny_notop.h5",
            "d547c096cabd03329d7be5562c5e14798aa39ed24b474157cef5e85ab9e49ef1",
        ),
    )
}

_REPORTING: ContextVar[tuple[Progress | None, threading.Event | None]] = ContextVar(
    "weights_download_reporting", default=(None, None)
)


@contextmanager
def reporting_downloads(
    progress: Progress | None, cancel: threading.Event | None = None
) -> Iterator[None]:
    """Give weights downloads started inside the block this progress and cancel."""
    token = _REPORTING.set((progress, cancel))
    try:
        yield
    finally:
        _REPORTING.reset(token)


def weights_folder() -> Path:
    """Keras's ``models`` cache folder, or the temp-folder one Keras falls back to."""
    folder = keras_cache_dir().parent
    if folder.exists() and not os.access(folder, os.W_OK):
        folder = Path(tempfile.gettempdir()) / ".keras"
    return folder / "models"


def imagenet_weights(architecture: str) -> Path:
    """The local ImageNet weights file for ``architecture``, downloaded if missing.

    Raises:
        WeightsError: no file is known for it, or the download does not match
            the table's hash (the file is then deleted).
        DatasetError: the download failed (offline, refused) or was cancelled
            (``DownloadCancelled``); the message names the file.
    """
    entry = IMAGENET_NOTOP.get(architecture)
    if entry is None:
        raise WeightsError(
            f"no ImageNet weights are known for {architecture}; point the "
            "backbone's weights at a local weights file, or use 'none'"
        )
    target = weights_folder() / entry.file_name
    if target.is_file():
        return target
    progress, cancel = _REPORTING.get()
    download(entry.url, target, entry.file_name, progress, cancel)
    problem = hash_problem(target, entry)
    if problem is not None:
        target.unlink(missing_ok=True)
        raise WeightsError(problem)
    return target


def hash_problem(path: Path, entry: WeightsFile) -> str | None:
    """Why ``path`` is not the file ``entry`` describes, or None (also: no hash)."""
    if entry.file_hash is None or entry.hash_algorithm is None:
        return None
    digest = hashlib.new(entry.hash_algorithm)
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    if digest.hexdigest() == entry.file_hash:
        return None
    return (
        f"the downloaded {entry.file_name} is damaged ({entry.hash_algorithm} "
        f"does not match {entry.url}); it was deleted: start again to download it"
    )
