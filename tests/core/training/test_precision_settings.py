"""Precision and XLA compilation as training settings (issue 26).

The defaults compile as before the settings existed (float32, Keras's own
``jit_compile="auto"``); an old project's ``mixed_precision`` switch still
means mixed float16 on a GPU and float32 on a CPU; mixed_bfloat16 is refused
in one line where nothing computes it natively; a run records the policy and
whether XLA compiled; Export as Python writes both.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import keras
import numpy as np
import pytest

from core.augmentation.config import AugmentationConfig
from core.data.load import open_dataset
from core.data.spec import DatasetSpec
from core.errors import ProjectFormatError, WorkbenchError
from core.inference.python_export import python_script
from core.model_builder import build_model
from core.project import Project
from core.recipe.precision import cpu_flags, policy_for
from core.runs import RunStore
from core.setting_fields import REQUIREMENTS
from core.training.compile import compile_for
from core.training.config import TrainingConfig
from core.training.preflight import problems
from core.training.session import run_session
from tests.core.training.test_train_cli import run_core, tiny_project
from tests.tiny_model import tiny_spec


@pytest.fixture(scope="module")
def shapes():
    return open_dataset(DatasetSpec(name="shapes", count=60))


def compile_keywords(monkeypatch, cfg: TrainingConfig, phase: int = 1) -> dict:
    """What ``model.compile`` is handed for ``cfg``, and the compiled model."""
    seen: dict[str, Any] = {}
    original = keras.Model.compile

    def spy(self, *args, **kwargs):
        seen.update(kwargs)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(keras.Model, "compile", spy)
    model = build_model(tiny_spec())
    compile_for(model, cfg, steps_per_epoch=4, phase=phase)
    return {**seen, "model": model}


def test_the_default_compiles_as_before_the_settings(monkeypatch):
    seen = compile_keywords(monkeypatch, TrainingConfig())
    assert seen["jit_compile"] == "auto"  # Keras's own default, as before
    assert keras.mixed_precision.global_policy().name == "float32"
    plain = build_model(tiny_spec())
    plain.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    assert seen["model"].jit_compile == plain.jit_compile  # False on a CPU


@pytest.mark.parametrize("phase", [1, 2])
def test_xla_on_compiles_both_phases_with_it(monkeypatch, phase):
    cfg = TrainingConfig(jit_compile=True, fine_tune=True)
    seen = compile_keywords(monkeypatch, cfg, phase)
    assert seen["jit_compile"] is True
    assert seen["model"].jit_compile is True


def test_an_old_mixed_precision_switch_loads_as_mixed_float16():
    old = Project().to_dict()
    assert "mixed_precision" not in old["training"]  # new files never write it
    del old["training"]["precision"]  # as a file from before the setting
    old["training"]["mixed_precision"] = True
    training = Project.from_dict(old).training
    assert training.precision == "mixed_float16"
    assert "mixed_precision" not in training.to_dict()
    old["training"]["mixed_precision"] = False
    assert Project.from_dict(old).training.precision == "float32"
    old["training"].update(mixed_precision=True, precision="float32")
    assert Project.from_dict(old).training.precision == "float32"  # the new wins
    old["training"]["mixed_precision"] = "yes"
    with pytest.raises(ProjectFormatError, match=r"training\.mixed_precision"):
        Project.from_dict(old)


def test_the_precision_rule_follows_the_machine(tmp_path):
    none: frozenset[str] = frozenset({"avx2", "fma"})
    assert policy_for("mixed_float16", gpu=False) == "float32"  # as the old switch
    assert policy_for("mixed_float16", gpu=True) == "mixed_float16"
    assert policy_for("mixed_bfloat16", gpu=True, flags=none) == "mixed_bfloat16"
    amx = frozenset({"amx_bf16"})
    assert policy_for("mixed_bfloat16", gpu=False, flags=amx) == "mixed_bfloat16"
    with pytest.raises(ValueError, match="this machine has neither"):
        policy_for("mixed_bfloat16", gpu=False, flags=none)
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nflags\t\t: fpu avx512_bf16 avx2\n")
    assert "avx512_bf16" in cpu_flags(str(info))
    assert cpu_flags(str(tmp_path / "missing")) == frozenset()


def trained(shapes, folder: Path, cfg: TrainingConfig) -> tuple[Any, dict]:
    """A tiny run of ``cfg`` on ``shapes`` in ``folder``: its result and record."""
    store = RunStore(folder)
    out = run_session(
        tiny_spec(),
        dataset=shapes,
        cfg=cfg,
        augmentation=AugmentationConfig(),
        store=store,
        label="tiny",
    )
    [run] = store.list()
    return out.result, {**run.record(), "training": run.config()["training"]}


def old_project_history(shapes, tmp_path: Path, switch: bool) -> list[float]:
    data = Project().to_dict()
    del data["training"]["precision"]  # as a file from before the setting
    data["training"].update(epochs=1, batch_size=16, mixed_precision=switch)
    cfg = Project.from_dict(data).training
    result, record = trained(shapes, tmp_path / f"runs-{switch}", cfg)
    assert record["precision"] == "float32"  # what it computed in
    return result.history["loss"]


def test_an_old_mixed_precision_project_trains_float32_on_a_cpu(shapes, tmp_path):
    on = old_project_history(shapes, tmp_path, switch=True)
    off = old_project_history(shapes, tmp_path, switch=False)
    assert on == off  # bit for bit: on a CPU the switch never changed a thing


def test_xla_trains_and_the_run_records_it(shapes, tmp_path):
    cfg = TrainingConfig(epochs=2, batch_size=16, jit_compile=True)
    result, record = trained(shapes, tmp_path / "runs", cfg)
    assert result.epochs_run == 2
    assert np.isfinite(result.history["loss"]).all()
    assert (record["jit_compile"], record["precision"]) == (True, "float32")
    assert record["training"]["jit_compile"] is True


def test_mixed_bfloat16_is_refused_by_preflight_where_unsupported(shapes, monkeypatch):
    monkeypatch.setitem(REQUIREMENTS, "bf16", lambda: "no bfloat16 here.")
    cfg = TrainingConfig(precision="mixed_bfloat16")
    [problem] = problems(tiny_spec(), shapes, cfg)
    assert problem.app.startswith("no bfloat16 here. Choose float32")
    assert "training.precision" in problem.command_line
    monkeypatch.setitem(REQUIREMENTS, "bf16", lambda: None)
    assert problems(tiny_spec(), shapes, cfg) == []


@pytest.mark.skipif(
    REQUIREMENTS["bf16"]() is None, reason="this machine computes bfloat16"
)
def test_train_refuses_mixed_bfloat16_in_one_line_here(tmp_path):
    project = tiny_project(tmp_path, precision="mixed_bfloat16")
    done = run_core("train", str(project))
    assert done.returncode == 1
    [line] = [line for line in done.stderr.splitlines() if line.startswith("error")]
    assert "mixed_bfloat16 needs a GPU or a CPU with bfloat16" in line
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "tiny.runs").exists() or not any(
        (tmp_path / "tiny.runs").iterdir()
    )


def test_export_writes_the_precision_and_xla():
    spec = tiny_spec()
    plain = python_script(spec, DatasetSpec(name="shapes"), TrainingConfig())
    assert "set_global_policy" not in plain
    assert "jit_compile" not in plain
    assert "dtype='float32'" not in plain
    cfg = TrainingConfig(precision="mixed_bfloat16", jit_compile=True)
    text = python_script(spec, DatasetSpec(name="shapes"), cfg)
    assert "from recipe.precision import policy_for" in text
    assert "policy = policy_for('mixed_bfloat16', gpu=gpu)" in text
    assert "keras.mixed_precision.set_global_policy(policy)" in text
    assert "'jit_compile': True" in text
    assert "dtype='float32'" in text  # the classifier stays float32
    fp16 = python_script(
        spec, DatasetSpec(name="shapes"), replace(cfg, precision="mixed_float16")
    )
    assert "policy_for('mixed_float16', gpu=gpu)" in fp16


def test_multi_worker_training_refuses_xla_in_one_line():
    with pytest.raises(WorkbenchError, match=r"jit_compile.*multi-worker"):
        run_session(
            None,  # type: ignore[arg-type]
            dataset=None,  # type: ignore[arg-type]
            cfg=TrainingConfig(jit_compile=True),
            strategy="multi-worker",
        )
