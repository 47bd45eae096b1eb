"""Finding the images of a folder dataset, and checking them.

Two levels, because 60,000 files must be listed in seconds: the quick scan
reads only file headers (finding empty, non-image and unreadable files); the
full verification decodes every image on every core and runs in the
background. Both report skipped files with a reason; neither ever raises on a
bad file. Only structural problems (one class, an empty class) are errors.

A header read costs about 15 microseconds for plain PNG and JPEG files
(``core.data.headers``; 46 through Pillow), less than handing one task to a
pool, so big folders go to worker processes in chunks of files, one task per
chunk; small ones are read in this process, where starting workers would cost
more than it saves. Workers are spawned, never forked: the app calls this from
a thread of a process that holds Qt and TensorFlow threads.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from core.data.images import BadImage, Header, read_header, verify_file
from core.errors import DatasetError
from core.recipe.folders import class_folders, list_files, split_folders

Progress = Callable[[float, str], None]
T = TypeVar("T")
# Below these counts one process is faster than spawning workers (~0.3 s each).
HEADERS_IN_PROCESS_BELOW = 20_000
DECODES_IN_PROCESS_BELOW = 200


@dataclass
class ScanReport:
    """Files left out, with the reason, and what the headers showed."""

    skipped: list[tuple[str, str]] = field(default_factory=list)
    sizes: dict[tuple[int, int], int] = field(default_factory=dict)
    modes: dict[str, int] = field(default_factory=dict)
    formats: dict[str, int] = field(default_factory=dict)
    needs_pillow: set[str] = field(default_factory=set)
    verified: bool = False

    def skip(self, path: str, reason: str) -> None:
        self.skipped.append((path, reason))


@dataclass
class FolderScan:
    """The files of each split as ``(path, label)``, and the class names."""

    root: Path
    class_names: list[str]
    splits: dict[str, list[tuple[str, int]]]
    report: ScanReport


def scan_folder(
    root: str | os.PathLike[str],
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    processes: int | None = None,
) -> FolderScan:
    """List a folder-per-class dataset and read every image's header.

    ``root`` holds one folder per class, or ``train/`` (and optionally
    ``validation/`` and ``test/``) folders that each hold one folder per class.

    Raises:
        DatasetError: the folder is missing, has fewer than two classes, a class
            without usable images, or split folders with different classes.
    """
    base = Path(root)
    if not base.is_dir():
        raise DatasetError(f"{base} is not a folder")
    layout = split_folders(base)
    class_names = _class_names(layout)
    report = ScanReport()
    listed = {
        split: list(list_files(folder, class_names)) for split, folder in layout.items()
    }
    paths = [p for files in listed.values() for p, _ in files]
    headers = iter(
        map_chunked(
            read_headers,
            paths,
            HEADERS_IN_PROCESS_BELOW,
            5000,
            "read {done:,} of {total:,} headers",
            progress,
            cancel,
            processes,
        )
    )
    splits: dict[str, list[tuple[str, int]]] = {}
    for split, files in listed.items():
        kept: list[tuple[str, int]] = []
        for (path, label), header in zip(files, headers, strict=False):
            if isinstance(header, str):
                report.skip(path, header)
            else:
                kept.append((path, label))
                _count(report, header)
                if not header.tf_decodable:
                    report.needs_pillow.add(path)
        splits[split] = kept
    _check_classes(splits, class_names, base)
    return FolderScan(base, class_names, splits, report)


def verify_images(
    scan: FolderScan,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    processes: int | None = None,
) -> FolderScan:
    """Decode every image on every core; undecodable ones move to the report."""
    paths = [p for files in scan.splits.values() for p, _ in files]
    bad = undecodable(paths, progress, cancel, processes)
    for path, reason in bad.items():
        scan.report.skip(path, reason)
    scan.splits = {
        split: [(p, label) for p, label in files if p not in bad]
        for split, files in scan.splits.items()
    }
    scan.report.verified = True
    _check_classes(scan.splits, scan.class_names, scan.root)
    return scan


def undecodable(
    paths: list[str],
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    processes: int | None = None,
) -> dict[str, str]:
    """The files among ``paths`` that do not decode fully, with the reason.

    Raises:
        DatasetError: ``cancel`` was set.
    """
    reasons = map_chunked(
        verify_files,
        paths,
        DECODES_IN_PROCESS_BELOW,
        200,
        "decoded {done:,} of {total:,} images",
        progress,
        cancel,
        processes,
    )
    return {p: r for p, r in zip(paths, reasons, strict=True) if r is not None}


def read_headers(paths: list[str]) -> list[Header | str]:
    """Each file's header, or the reason it has none: one worker task."""
    return [_header_or_reason(p) for p in paths]


def verify_files(paths: list[str]) -> list[str | None]:
    """Decode each file fully; None when fine, else the reason: one worker task."""
    return [verify_file(p) for p in paths]


def map_chunked(
    work: Callable[[list[str]], list[T]],
    paths: list[str],
    in_process_below: int,
    max_chunk: int,
    message: str,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    processes: int | None = None,
) -> list[T]:
    """``work`` over chunks of ``paths``, results in order, cancellable.

    ``work`` is a module-level function of a list of paths (it is pickled to
    spawned workers). Fewer than ``in_process_below`` paths, or one process,
    run here. ``message`` is formatted with ``done`` and ``total`` for progress.

    Raises:
        DatasetError: ``cancel`` was set.
    """
    total = len(paths)
    n = max(1, processes or os.cpu_count() or 1)
    size = max(1, min(max_chunk, math.ceil(total / (4 * n))))
    chunks = [paths[i : i + size] for i in range(0, total, size)]
    out: list[T] = []

    def collected(part: list[T]) -> None:
        out.extend(part)
        if progress:
            progress(
                len(out) / (total or 1), message.format(done=len(out), total=total)
            )

    def cancelled() -> bool:
        return cancel is not None and cancel.is_set()

    if total >= in_process_below and n > 1:
        chunks = _in_processes(work, chunks, min(n, len(chunks)), collected, cancelled)
    for chunk in chunks:  # small jobs, or what workers could not do
        if cancelled():
            raise DatasetError(f"cancelled after {len(out):,} of {total:,} files")
        collected(work(chunk))
    return out


def _in_processes(
    work: Callable[[list[str]], list[T]],
    chunks: list[list[str]],
    processes: int,
    collected: Callable[[list[T]], None],
    cancelled: Callable[[], bool],
) -> list[list[str]]:
    """Run ``work`` on spawned workers, chunks collected in order.

    Returns the chunks left undone when the workers could not start (then this
    process does them). On cancel, pending chunks are dropped and the running
    ones (small, well under a second) are waited for.
    """
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(processes, mp_context=context) as pool:
        futures = [pool.submit(work, chunk) for chunk in chunks]
        try:
            for k, future in enumerate(futures):
                while True:
                    if cancelled():
                        raise DatasetError(
                            f"cancelled after {k:,} of {len(chunks):,} parts"
                        )
                    try:
                        collected(future.result(timeout=0.2))
                        break
                    except TimeoutError:
                        continue
        except BrokenProcessPool:
            return chunks[k:]
        except BaseException:
            for f in futures:
                f.cancel()
            raise
    return []


def _class_names(layout: dict[str, Path]) -> list[str]:
    first = next(iter(layout.values()))
    names = class_folders(first)
    if len(names) < 2:
        found = f"only {names[0]!r}" if names else "none"
        raise DatasetError(
            f"{first} needs one sub-folder per class and at least two classes "
            f"(found {found}); put each class's images in its own folder"
        )
    for split, folder in layout.items():
        other = class_folders(folder)
        if other != names:
            raise DatasetError(
                f"the {split} folder has classes {other}, but train has {names}: "
                "every split needs the same class folders"
            )
    return names


def _header_or_reason(path: str) -> Header | str:
    try:
        return read_header(path)
    except BadImage as exc:
        return str(exc)


def _count(report: ScanReport, header: Header) -> None:
    width, height, mode, fmt = header.width, header.height, header.mode, header.format
    report.sizes[(height, width)] = report.sizes.get((height, width), 0) + 1
    report.modes[mode] = report.modes.get(mode, 0) + 1
    report.formats[fmt] = report.formats.get(fmt, 0) + 1


def _check_classes(
    splits: dict[str, list[tuple[str, int]]], class_names: list[str], base: Path
) -> None:
    for split, files in splits.items():
        if split not in ("train", "all"):
            continue
        counts = [0] * len(class_names)
        for _, label in files:
            counts[label] += 1
        empty = [name for name, n in zip(class_names, counts, strict=False) if n == 0]
        if empty:
            raise DatasetError(
                f"class {empty[0]!r} in {base} has no usable images: add images or "
                "remove the folder (see the skipped-file report for files left out)"
            )
