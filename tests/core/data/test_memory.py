"""The TF-free memory facts the estimate and the pipeline share."""

from __future__ import annotations

import stat

from core.data import memory


def test_no_nvidia_smi_means_no_gpu_figure(monkeypatch):
    monkeypatch.setattr(memory.shutil, "which", lambda name: None)
    assert memory.free_gpu_memory() is None


def test_free_gpu_memory_is_the_fullest_cards(tmp_path, monkeypatch):
    tool = tmp_path / "nvidia-smi"
    tool.write_text("#!/bin/sh\nprintf '10240\\n2048\\n'\n")
    tool.chmod(tool.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setattr(memory.shutil, "which", lambda name: str(tool))
    assert memory.free_gpu_memory() == 2048 << 20


def test_a_failing_nvidia_smi_is_no_figure_not_an_error(tmp_path, monkeypatch):
    tool = tmp_path / "nvidia-smi"
    tool.write_text("#!/bin/sh\necho 'NVIDIA-SMI has failed' >&2\nexit 9\n")
    tool.chmod(tool.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setattr(memory.shutil, "which", lambda name: str(tool))
    assert memory.free_gpu_memory() is None


def test_the_cache_rule_is_a_quarter_of_ram(monkeypatch):
    monkeypatch.setattr(memory, "total_memory", lambda: 4_000)
    assert memory.fits_in_memory(10, 3, 3, 1)  # 90 bytes
    assert not memory.fits_in_memory(1_000, 1, 1, 1)  # 1,000 bytes = a quarter
