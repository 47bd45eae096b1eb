"""``python -m core export``: from a project's newest run, or a clear refusal."""

from __future__ import annotations

from core.cli import main
from core.data.load import open_dataset
from core.data.spec import DatasetSpec
from core.model_files.class_names import read_class_names
from core.model_files.loading import load_model_file
from core.presets import starter_project
from core.project import save_project
from core.runs import RunStore
from core.training.config import TrainingConfig
from core.training.session import run_session
from tests.core.training.test_session import small_spec


def test_export_from_a_project_and_refusal_without_a_run(tmp_path, capsys):
    project = save_project(starter_project(), tmp_path / "shapes.cnnwb.json")
    assert main(["export", str(project), str(tmp_path / "out.keras")]) == 1
    assert "has no trained run yet" in capsys.readouterr().err
    shapes = DatasetSpec(name="shapes", count=60)
    data = open_dataset(shapes)
    run_session(
        small_spec(6),
        dataset=data,
        cfg=TrainingConfig(epochs=1, batch_size=16),
        store=RunStore.beside(project),
        data_spec=shapes,  # recorded: the export verifies on its test split
    )
    out = tmp_path / "out.keras"
    assert main(["export", str(project), str(out)]) == 0
    assert read_class_names(out) == data.class_names
    assert load_model_file(out).input_shape == (None, None, None, 3)
    # The other formats, as the Export dialog writes them
    lite = tmp_path / "out.tflite"
    assert main(["export", str(project), str(lite)]) == 0
    assert lite.stat().st_size > 0
    bare = tmp_path / "m"  # a suffix that does not fit the format is refused
    assert main(["export", str(project), str(bare), "--format", "python"]) == 1
    assert not bare.exists()
    script = tmp_path / "m.py"
    assert main(["export", str(project), str(script), "--format", "python"]) == 0
    assert "def build_model" in script.read_text()


def test_the_python_script_needs_no_trained_run(tmp_path, capsys):
    project = save_project(starter_project(), tmp_path / "shapes.cnnwb.json")
    assert main(["export", str(project), str(tmp_path / "train.py")]) == 0
    compile((tmp_path / "train.py").read_text(), "train.py", "exec")
