"""``python -m core export`` verifies what it writes, and says so (issue 29).

A one-epoch run of the tiny model on 60 shapes: ONNX and int8 exports print
their verification and write it beside the file; a file broken on the way is
refused with status 3 and the earlier file is kept; ``--no-verify`` keeps the
file unchecked; a missing ONNX extra is one line naming the install command.
"""

from __future__ import annotations

import json
import sys

import pytest

from core.cli import main
from core.data.load import open_dataset
from core.data.spec import DatasetSpec
from core.inference import export as model_export
from core.runs import RunStore
from core.training.config import TrainingConfig
from core.training.session import run_session
from tests.core.inference.test_export_verification import breaking
from tests.reliability.test_cli_user_errors import assert_one_line
from tests.tiny_model import saved_tiny_project, tiny_spec


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    project = saved_tiny_project(tmp_path_factory.mktemp("project"), "tiny")
    shapes = DatasetSpec(name="shapes", count=60)
    run_session(
        tiny_spec(),
        dataset=open_dataset(shapes),
        cfg=TrainingConfig(epochs=1, batch_size=16),
        store=RunStore.beside(project),
        data_spec=shapes,  # recorded: the export verifies on its test split
    )
    [made] = RunStore.beside(project).list()
    return made.path


def test_onnx_is_verified_printed_and_written_beside(run, tmp_path, capsys):
    out = tmp_path / "model.onnx"
    assert main(["export", str(run), str(out)]) == 0
    printed = capsys.readouterr().out
    assert "verification   passed" in printed
    assert "agreement      100.00%" in printed
    record = json.loads((tmp_path / "model.onnx.verify.json").read_text())
    assert record["format"] == "onnx"
    assert record["max_difference"] <= 1e-4


def test_int8_prints_the_accuracy_it_loses(run, tmp_path, capsys):
    out = tmp_path / "model.tflite"
    assert main(["export", str(run), str(out), "--int8"]) == 0
    printed = capsys.readouterr().out
    assert "points lost" in printed
    assert "disagreements" in printed
    record = json.loads((tmp_path / "model.tflite.verify.json").read_text())
    assert record["format"] == "tflite_int8"
    assert len(record["per_class"]) == 6


def test_a_broken_file_is_refused_and_the_earlier_one_kept(
    run, tmp_path, capsys, monkeypatch
):
    out = tmp_path / "model.tflite"
    out.write_bytes(b"yesterday's model")
    monkeypatch.setattr(model_export, "write_file", breaking(model_export.write_file))
    assert main(["export", str(run), str(out)]) == 3
    captured = capsys.readouterr()
    assert "verification   failed" in captured.out
    # One error line; a failed job (3) is followed by TensorFlow's own log,
    # as a failed run's is (core.cli), since it may say why the file failed.
    errors = [line for line in captured.err.splitlines() if line.startswith("error")]
    assert len(errors) == 1
    assert "the earlier model.tflite is unchanged" in errors[0]
    assert "Traceback" not in captured.err
    assert out.read_bytes() == b"yesterday's model"
    assert [p.name for p in tmp_path.iterdir()] == ["model.tflite"]


def test_no_verify_keeps_the_file_unchecked(run, tmp_path, capsys):
    out = tmp_path / "model.keras"
    assert main(["export", str(run), str(out), "--no-verify"]) == 0
    assert "not verified: verification was turned off" in capsys.readouterr().out
    assert out.is_file()


def test_a_missing_onnx_extra_is_one_line(run, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # as if not installed
    status = main(["export", str(run), str(tmp_path / "model.onnx")])
    assert_one_line(status, capsys.readouterr().err, 'pip install -e ".[onnx]"')
    assert not any(tmp_path.iterdir())
