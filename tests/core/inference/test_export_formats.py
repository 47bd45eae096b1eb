"""Export by format: what each format needs, refused alike everywhere."""

from __future__ import annotations

import pytest

from core.augmentation.config import AugmentationConfig
from core.errors import WorkbenchError
from core.inference.export_formats import ExportSource, export, format_for
from core.model_files.class_names import read_class_names
from core.presets import starter_project
from core.training.config import TrainingConfig
from tests.core.inference.test_gradcam import app_model


def test_the_suffix_names_the_format_and_keras_is_the_default():
    assert format_for("m.keras") == "keras"
    assert format_for("m.tflite") == "tflite"
    assert format_for("train.py") == "python"
    assert format_for("m.h5") == "keras"  # refused by the .keras export, in words
    assert format_for("folder") == "keras"


def test_each_format_says_what_it_lacks():
    model_only = ExportSource(model=object(), class_names=["a"])
    assert model_only.problem("keras") == ""
    assert "imported model" in model_only.problem("python")
    project_only = ExportSource(project=("spec", None, "cfg", "aug"))
    assert project_only.problem("python") == ""
    assert "train one" in project_only.problem("tflite")
    with pytest.raises(WorkbenchError, match="train one"):
        export(project_only, "m.keras", "keras")
    with pytest.raises(WorkbenchError, match="unknown export format 'torch'"):
        export(model_only, "m.pt", "torch")


def test_a_model_and_a_project_export_by_format(tmp_path):
    source = ExportSource(app_model(3), ["a", "b", "c"], "pets")
    out = export(source, tmp_path / "pets.keras", "keras").path
    assert read_class_names(out) == ["a", "b", "c"]
    lite = export(source, tmp_path / "pets.tflite", "tflite").path
    assert lite.stat().st_size > 0
    project = starter_project()
    scripted = ExportSource(
        project=(project.model, project.dataset, TrainingConfig(), AugmentationConfig())
    )
    script = export(scripted, tmp_path / "train.py", "python").path.read_text()
    assert "def build_model" in script
