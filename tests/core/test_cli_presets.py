"""``python -m core presets`` lists every preset's total without TensorFlow."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

from core.model_builder import build_model
from core.presets import all_presets

ROOT = Path(__file__).resolve().parents[2]


def test_presets_on_a_fresh_data_folder_imports_no_tensorflow(tmp_path):
    """A fresh data folder has no cached backbone table to read the VGG16 total from."""
    code = (
        "import sys\nfrom core.cli import main\nrc = main(['presets'])\n"
        "print('rc', rc, 'loaded', "
        "[m for m in ('tensorflow', 'keras') if m in sys.modules])"
    )
    env = {**os.environ, "CNN_WORKBENCH_DATA_DIR": str(tmp_path / "data")}
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    lines = done.stdout.splitlines()
    assert lines[-1] == "rc 0 loaded []", done.stderr
    vgg = next(line for line in lines if line.startswith("vgg16-cifar10-transfer"))
    assert "14,916,426 params" in vgg
    assert len(lines) == len(all_presets()) + 1


def test_shipped_totals_are_keras_totals():
    """Backbone presets carry their totals; Keras must count the same."""
    shipped = [p for p in all_presets().values() if p.totals is not None]
    backbone = [p for p in all_presets().values() if p.spec.backbone is not None]
    assert backbone
    assert {p.name for p in backbone} <= {p.name for p in shipped}
    for p in shipped:
        spec = p.spec
        if spec.backbone is not None:  # tests never download ImageNet weights
            spec = spec.with_backbone_options(weights="none")
        model = build_model(spec)
        trainable = sum(math.prod(w.shape) for w in model.trainable_weights)
        assert (p.totals.total, p.totals.trainable) == (
            model.count_params(),
            trainable,
        ), p.name
