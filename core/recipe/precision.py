"""The dtype policy a run computes in, from the precision setting and the machine.

One rule for the app and for the script "Export as Python" writes:

- ``float32`` (the default): every layer computes and keeps its weights in
  float32.
- ``mixed_float16``: float16 compute, float32 weights, which pays on a GPU's
  tensor cores. Without a GPU it trains in float32, as the old "Mixed
  precision (GPU only)" switch did: a project carried from a GPU machine to a
  laptop computes there what it always computed.
- ``mixed_bfloat16``: bfloat16 compute, float32 weights. It pays on a recent
  GPU or on a CPU with bfloat16 instructions (``avx512_bf16`` or ``amx_bf16``
  in ``/proc/cpuinfo``). Any other CPU only emulates bfloat16, slower than
  float32 (docs/benchmarks.md), so it is refused there (``bf16_missing``
  says why) rather than quietly trained in float32.

Under either mixed policy the classifier stays float32 (a float16 softmax
loses small probabilities): ``core.model_builder``'s ``float32_output``.
Pure Python, no Keras: the settings form asks ``bf16_missing`` while it is
built, before TensorFlow is imported.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

PRECISIONS = ("float32", "mixed_float16", "mixed_bfloat16")
BF16_FLAGS = ("avx512_bf16", "amx_bf16")


@cache
def cpu_flags(cpuinfo: str = "/proc/cpuinfo") -> frozenset[str]:
    """The CPU's feature flags as Linux lists them; empty where there is no
    ``/proc/cpuinfo`` (macOS, Windows), so nothing is assumed there."""
    try:
        text = Path(cpuinfo).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return frozenset()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "flags":
            return frozenset(value.split())
    return frozenset()


def bf16_missing(gpu: bool, flags: frozenset[str] | None = None) -> str | None:
    """Why this machine cannot train in mixed_bfloat16, or None when it can.

    ``gpu``: whether a GPU is there; ``flags``: the CPU's (``cpu_flags()``
    when None).
    """
    if gpu:
        return None
    flags = cpu_flags() if flags is None else flags
    if any(flag in flags for flag in BF16_FLAGS):
        return None
    return (
        "mixed_bfloat16 needs a GPU or a CPU with bfloat16 instructions "
        f"({' or '.join(BF16_FLAGS)} in /proc/cpuinfo): this machine has neither."
    )


def policy_for(precision: str, gpu: bool, flags: frozenset[str] | None = None) -> str:
    """The Keras dtype policy ``precision`` trains in on this machine.

    Raises:
        ValueError: a precision not in ``PRECISIONS``, or mixed_bfloat16 where
            ``bf16_missing`` refuses it (the message is its reason).
    """
    if precision not in PRECISIONS:
        raise ValueError(
            f"precision must be one of {', '.join(PRECISIONS)}, not {precision!r}"
        )
    if precision == "mixed_float16" and not gpu:
        return "float32"
    if precision == "mixed_bfloat16":
        reason = bf16_missing(gpu, flags)
        if reason:
            raise ValueError(reason)
    return precision
