"""How much memory this computer has, and whether decoded images fit in it.

TensorFlow-free, because the pre-training estimate (shown as the user edits
settings) and the tf.data pipeline must apply the same caching rule: the
estimate counts the cache only when the pipeline would build it.
"""

from __future__ import annotations

import os
import shutil
import subprocess

# Cache decoded images in RAM only while they take under this share of memory.
MEMORY_CACHE_SHARE = 0.25
_FALLBACK = 8 << 30


def _pages(name: str) -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf(name)
    except (ValueError, OSError, AttributeError):
        return _FALLBACK


def total_memory() -> int:
    return _pages("SC_PHYS_PAGES")


def available_memory() -> int:
    return _pages("SC_AVPHYS_PAGES")


def fits_in_memory(count: int, h: int, w: int, channels: int) -> bool:
    """Whether ``count`` uint8 images fit comfortably in RAM (a quarter of it)."""
    return count * h * w * channels < total_memory() * MEMORY_CACHE_SHARE


def free_gpu_memory() -> int | None:
    """Free bytes on the fullest NVIDIA GPU, or None when there is no GPU to ask.

    Asked of ``nvidia-smi`` rather than TensorFlow: TensorFlow reports only what
    it has allocated itself, not the card's free memory, and importing it here
    would make the live estimate wait seconds.
    """
    tool = shutil.which("nvidia-smi")
    if tool is None:
        return None
    try:
        out = subprocess.run(
            [tool, "--query-gpu=memory.free", "--format=csv,noheader,nounits"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout
        free_mib = [int(line) for line in out.split() if line.strip().isdigit()]
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
    return min(free_mib) << 20 if free_mib else None
