"""Finding the images of a folder dataset, and checking them.

Two levels, because 60,000 files must be listed in seconds: the quick scan
reads only file headers (finding empty, non-image and unreadable files); the
full verification decodes every image on every core and runs in the
background. Both report skipped files with a reason; neither ever raises on a
bad file. Only structural problems (one class, an empty class) are errors.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from core.data.images import BadImage, Header, is_image_name, read_header, verify_file
from core.errors import DatasetError

Progress = Callable[[float, str], None]
SPLIT_DIRS = ("train", "validation", "test")
_ALIASES = {"val": "validation", "valid": "validation"}


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
    workers: int = 8,
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
    layout = _split_folders(base)
    class_names = _class_names(layout)
    report = ScanReport()
    listed = {
        split: list(_list_files(folder, class_names))
        for split, folder in layout.items()
    }
    total = sum(len(v) for v in listed.values()) or 1
    done = 0
    splits: dict[str, list[tuple[str, int]]] = {}
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for split, files in listed.items():
            kept: list[tuple[str, int]] = []
            headers = pool.map(_header_or_reason, (p for p, _ in files), chunksize=64)
            for (path, label), header in zip(files, headers, strict=True):
                done += 1
                if isinstance(header, str):
                    report.skip(path, header)
                else:
                    kept.append((path, label))
                    _count(report, header)
                    if not header.tf_decodable:
                        report.needs_pillow.add(path)
                if progress and done % 2000 == 0:
                    progress(done / total, f"read {done:,} of {total:,} headers")
                if cancel is not None and cancel.is_set():
                    raise DatasetError("scan cancelled")
            splits[split] = kept
    _check_classes(splits, class_names, base)
    if progress:
        progress(1.0, f"read {total:,} headers")
    return FolderScan(base, class_names, splits, report)


def verify_images(
    scan: FolderScan,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    processes: int | None = None,
) -> FolderScan:
    """Decode every image on every core; undecodable ones move to the report."""
    paths = [p for files in scan.splits.values() for p, _ in files]
    bad: dict[str, str] = {}
    chunk = max(1, min(500, len(paths) // (4 * (os.cpu_count() or 1)) or 1))
    with ProcessPoolExecutor(max_workers=processes or os.cpu_count() or 1) as pool:
        for i, (path, reason) in enumerate(
            zip(paths, pool.map(verify_file, paths, chunksize=chunk), strict=True)
        ):
            if reason is not None:
                bad[path] = reason
            if progress and (i + 1) % 1000 == 0:
                progress((i + 1) / len(paths), f"decoded {i + 1:,} of {len(paths):,}")
            if cancel is not None and cancel.is_set():
                pool.shutdown(cancel_futures=True)
                raise DatasetError("verification cancelled")
    for path, reason in bad.items():
        scan.report.skip(path, reason)
    scan.splits = {
        split: [(p, label) for p, label in files if p not in bad]
        for split, files in scan.splits.items()
    }
    scan.report.verified = True
    _check_classes(scan.splits, scan.class_names, scan.root)
    if progress:
        progress(1.0, f"decoded {len(paths):,} images")
    return scan


def _split_folders(base: Path) -> dict[str, Path]:
    subdirs = {d.name.lower(): d for d in base.iterdir() if d.is_dir()}
    named = {_ALIASES.get(k, k): v for k, v in subdirs.items()}
    if "train" in named:
        return {s: named[s] for s in SPLIT_DIRS if s in named}
    return {"all": base}


def _class_names(layout: dict[str, Path]) -> list[str]:
    first = next(iter(layout.values()))
    names = sorted(
        d.name for d in first.iterdir() if d.is_dir() and not d.name.startswith(".")
    )
    if len(names) < 2:
        found = f"only {names[0]!r}" if names else "none"
        raise DatasetError(
            f"{first} needs one sub-folder per class and at least two classes "
            f"(found {found}); put each class's images in its own folder"
        )
    for split, folder in layout.items():
        other = sorted(
            d.name
            for d in folder.iterdir()
            if d.is_dir() and not d.name.startswith(".")
        )
        if other != names:
            raise DatasetError(
                f"the {split} folder has classes {other}, but train has {names}: "
                "every split needs the same class folders"
            )
    return names


def _list_files(folder: Path, class_names: list[str]) -> Iterable[tuple[str, int]]:
    for label, name in enumerate(class_names):
        for dirpath, dirnames, filenames in os.walk(folder / name):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for filename in sorted(filenames):
                if is_image_name(filename):
                    yield os.path.join(dirpath, filename), label


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
