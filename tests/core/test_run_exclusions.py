"""A run's figures against the project's loaded data: under the run's own list."""

from __future__ import annotations

import json
from dataclasses import replace

from core.data.exclusions import Exclusions
from core.data.load import open_dataset
from core.data.spec import DatasetSpec
from core.run_exclusions import under_run_list
from core.runs import Run

SHAPES = DatasetSpec(name="shapes", count=60)


def run_with(tmp_path, spec: DatasetSpec) -> Run:
    folder = tmp_path / "run"
    folder.mkdir()
    config = {"dataset": {"name": "shapes", "spec": spec.to_dict()}}
    (folder / "config.json").write_text(json.dumps(config))
    return Run(folder)


def test_the_loaded_data_takes_the_run_s_list_when_the_project_s_changed(tmp_path):
    loaded = open_dataset(SHAPES)  # the project's list: cleared since the run
    listed = Exclusions().excluding(*loaded.identity("test", 2))
    run = run_with(tmp_path, replace(SHAPES, exclusions=listed))
    seen = under_run_list(loaded, run)
    assert len(seen.splits["test"]) == len(loaded.splits["test"]) - 1
    assert seen.splits["test"].keys[2] == loaded.splits["test"].keys[3]
    assert under_run_list(seen, run) is seen  # the same list: as it is


def test_a_run_without_a_spec_leaves_the_data_as_it_is(tmp_path):
    folder = tmp_path / "old"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"dataset": {"name": "shapes"}}))
    loaded = open_dataset(SHAPES)
    assert under_run_list(loaded, Run(folder)) is loaded
