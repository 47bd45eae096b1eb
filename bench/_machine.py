"""The machine a bench figure was measured on, as docs/benchmarks.md names it.

This workplace's 2-core machines are not all alike, though every one calls
its CPU "AMD EPYC": the machine of 2026-12-07 (family 25 model 1, AVX2 and no
AVX-512) trained one epoch of ``mnist-strong`` in 134-145 s where the
machine of 2026-11-29 took about 70 s, with the same code giving the same
history. A wall time means little without the machine's family, model and
vector extensions, so every timed figure carries them.
"""

from __future__ import annotations

import os
from pathlib import Path


def describe(cpuinfo: str | None = None) -> str:
    """``2 cores, AMD EPYC (family 25 model 1; AVX2, no AVX-512)``.

    ``cpuinfo``: the text of ``/proc/cpuinfo`` (read when None; a machine
    without it gives the core count alone).
    """
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8")
        except OSError:
            cpuinfo = ""
    first = cpuinfo.split("\n\n", 1)[0]
    fields = {}
    for line in first.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            fields.setdefault(key.strip(), value.strip())
    cores = f"{os.cpu_count()} cores"
    if "model name" not in fields:
        return cores
    flags = set(fields.get("flags", "").split())
    return (
        f"{cores}, {fields['model name']} (family {fields.get('cpu family', '?')} "
        f"model {fields.get('model', '?')}; {_extensions(flags)})"
    )


def _extensions(flags: set[str]) -> str:
    """The vector extensions TensorFlow's CPU kernels run faster with."""
    named = [name for flag, name in _NAMED if flag in flags]
    if "avx512f" not in flags:
        named.append("no AVX-512")
    return ", ".join(named)


_NAMED = (
    ("avx2", "AVX2"),
    ("fma", "FMA"),
    ("avx512f", "AVX-512"),
    ("avx512_bf16", "AVX512_BF16"),
    ("amx_tile", "AMX"),
)
