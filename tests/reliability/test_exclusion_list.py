"""Bad inputs to the exclusion list: a listed file gone, a listed file changed.

Neither is silently applied: ``train`` says so in a warning line, the entry
is kept in the project (the file may come back), the image it named stays as
given, and the run records the list it was given in its ``config.json``; a
new list is a data change for a resume of the project's data, not for the
run's own figures.
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from PIL import Image

from core.cli import main
from core.data.exclusions import Exclusions
from core.data.load import open_dataset
from core.data.spec import DatasetSpec
from core.errors import WorkbenchError
from core.project import Project, load_project, save_project
from core.runs import Run
from core.training.config import TrainingConfig
from core.training.fingerprint import refuse_changed_data
from core.training.resume import open_recorded_dataset
from tests.core.data.test_exclusions import make_folder
from tests.tiny_model import tiny_spec


def test_train_warns_of_a_missing_and_a_changed_file_and_records_the_list(
    tmp_path, capsys
):
    root = make_folder(tmp_path / "pets")
    spec = DatasetSpec(
        kind="folder", name="pets", path=str(root), image_size=(8, 8), channels=3
    )
    data = open_dataset(spec)
    changed, digest = data.identity("train", 0)
    left_out = data.identity("train", 1)
    exclusions = (
        Exclusions()
        .excluding(changed, digest)
        .excluding(*left_out)
        .excluding(*data.identity("test", 0))
        .excluding("bee/gone.png", "0123456789abcdef")
    )
    Image.new("RGB", (8, 8), "red").save(root / changed)  # after it was listed
    project = save_project(
        Project(
            model=tiny_spec(3, 8),
            dataset=replace(spec, exclusions=exclusions),
            training=TrainingConfig(epochs=1, batch_size=8),
        ),
        tmp_path / "p.cnnwb.json",
    )
    assert main(["train", str(project), "--run-dir", str(tmp_path / "runs")]) == 0
    out, err = capsys.readouterr()
    # A test image left out: the summary gives the split's figure as given too.
    assert "after the exclusion list; as given" in out
    assert (
        f"warning: exclusion list: {changed} changed since it was listed: kept as "
        "given, not excluded" in err
    )
    assert "warning: exclusion list: bee/gone.png is listed but not in the data" in err
    assert "exclusion list: 4 excluded, 0 relabelled (the project's" in err
    assert load_project(project).dataset.exclusions == exclusions  # entries kept
    (run_dir,) = (tmp_path / "runs").iterdir()
    recorded = json.loads((run_dir / "config.json").read_text())["dataset"]
    assert len(recorded["spec"]["exclusions"]) == 4
    assert recorded["fingerprint"]["exclusions"]["excluded"] == 2  # two applied
    # The run's own data, with its own list: the same data
    run = Run(run_dir)
    open_recorded_dataset(run)
    # The project's list changed since: a data change for a resume of the
    # project's data; the files alone are still the run's
    cleared = open_dataset(spec)
    with pytest.raises(WorkbenchError, match="the exclusion list: 2 left out, 0 rel"):
        refuse_changed_data(recorded, cleared, run.name)
    refuse_changed_data(recorded, cleared, run.name, include_list=False)
