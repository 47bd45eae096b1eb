"""Which export formats need an optional extra, and whether it is installed.

ONNX is the ``onnx`` extra (``tf2onnx`` writes it, ``onnxruntime`` verifies
it); nothing else in the app needs either, so a plain install stays without
them. int8 TFLite needs no extra: it is TensorFlow's own converter and
interpreter (``core.inference.lite_int8`` says why that path). The packages
are found without importing them, so the Export dialog can ask on the GUI
thread.
"""

from __future__ import annotations

from core.extras import install_command, installed

# format key -> (extra, the packages it installs that the format imports)
EXTRAS: dict[str, tuple[str, tuple[str, ...]]] = {
    "onnx": ("onnx", ("tf2onnx", "onnxruntime")),
}


def missing_extra(key: str) -> str:
    """Why format ``key`` cannot be exported for want of a package; "" if it can."""
    if key not in EXTRAS:
        return ""
    extra, packages = EXTRAS[key]
    missing = [p for p in packages if not installed(p)]
    if not missing:
        return ""
    return (
        f"the {key} export needs {' and '.join(missing)}, not installed: "
        f"install them with {install_command(extra)}"
    )
