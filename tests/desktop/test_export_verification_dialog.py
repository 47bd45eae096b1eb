"""The Export dialog's ONNX and int8 choices and its verification (issue 29).

The export and its check run in the worker: the dialog is busy, not frozen,
and shows the figures when they come; a file that fails is not kept.
"""

from __future__ import annotations

import sys

import keras
import pytest

from core.inference import export as model_export
from core.inference.verification import verify_path
from core.model_builder import build_model
from desktop.export_dialog import ExportDialog, ExportSource
from tests.core.inference.test_export_verification import (
    CLASSES,
    SIZE,
    breaking,
    tiny_data,
)
from tests.tiny_model import tiny_spec

WAIT = 120_000


@pytest.fixture(scope="module")
def model():
    keras.utils.set_random_seed(0)
    return build_model(tiny_spec(len(CLASSES), SIZE))


def dialog_for(qtbot, tmp_path, source: ExportSource) -> ExportDialog:
    dialog = ExportDialog(source, tmp_path)
    qtbot.addWidget(dialog)
    return dialog


def test_an_export_is_checked_in_the_worker_and_its_figures_shown(
    qtbot, tmp_path, model
):
    source = ExportSource(model, list(CLASSES), "tiny", dataset=tiny_data())
    dialog = dialog_for(qtbot, tmp_path, source)
    dialog.set_format("onnx")
    assert dialog.verify_check.isChecked()  # on by default
    with qtbot.waitSignal(dialog.exported, timeout=WAIT):
        dialog.export_button.click()
        assert dialog.is_busy()  # the GUI thread is free while it works
        assert "checking" in dialog.status.text()
    shown = dialog.verification.text()
    assert "verification   passed (60 test images)" in shown
    assert "agreement      100.00%" in shown
    assert verify_path(tmp_path / "tiny.onnx").is_file()


def test_a_missing_extra_disables_onnx_with_the_install_command(
    qtbot, tmp_path, model, monkeypatch
):
    monkeypatch.setitem(sys.modules, "tf2onnx", None)  # as if not installed
    dialog = dialog_for(qtbot, tmp_path, ExportSource(model, list(CLASSES)))
    assert not dialog.is_enabled("onnx")
    assert 'pip install -e ".[onnx]"' in dialog.reason("onnx")


def test_int8_needs_data_and_takes_a_threshold(qtbot, tmp_path, model):
    imported = dialog_for(qtbot, tmp_path, ExportSource(model, list(CLASSES)))
    assert not imported.is_enabled("tflite_int8")
    assert "imported model" in imported.reason("tflite_int8")
    source = ExportSource(model, list(CLASSES), "tiny", dataset=tiny_data())
    dialog = dialog_for(qtbot, tmp_path, source)
    assert not dialog.int8_limit_check.isEnabled()  # .keras is chosen
    dialog.set_format("tflite_int8")
    assert dialog.int8_threshold() is None  # reported, never failed, by default
    dialog.int8_limit_check.setChecked(True)
    dialog.int8_limit.setValue(50)  # an untrained model: any drop it has passes
    assert dialog.int8_threshold() == 50
    with qtbot.waitSignal(dialog.exported, timeout=WAIT):
        dialog.export_button.click()
    assert "points lost (at most 50)" in dialog.verification.text()


def test_a_file_that_fails_is_not_kept_and_the_dialog_says_why(
    qtbot, tmp_path, model, monkeypatch
):
    out = tmp_path / "tiny.tflite"
    out.write_bytes(b"the earlier model")
    monkeypatch.setattr(model_export, "write_file", breaking(model_export.write_file))
    source = ExportSource(model, list(CLASSES), "tiny", dataset=tiny_data())
    dialog = dialog_for(qtbot, tmp_path, source)
    dialog.set_format("tflite")
    with qtbot.waitSignal(dialog.failed, timeout=WAIT) as blocker:
        dialog.export_button.click()
    assert "the earlier tiny.tflite is unchanged" in blocker.args[0]
    assert "verification   failed" in dialog.verification.text()
    assert out.read_bytes() == b"the earlier model"
    assert dialog.export_button.isEnabled()
