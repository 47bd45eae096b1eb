"""Evaluation when the exclusion list touches the test split: both figures.

Leaving hard test images out inflates the test figure, so ``evaluate``
reports the cleaned split's figures and the split's as given beside them, in
its text and its ``--json``. A run folder as training leaves it
(``make_run``: a tiny untrained model on 60 shapes), so no training is needed.
"""

from __future__ import annotations

import json
from dataclasses import replace

from core.cli import main
from core.data.load import open_dataset
from core.data.spec import DatasetSpec
from tests.reliability.test_cli_export_summary import make_run


def listed_run(tmp_path, split: str):
    """``make_run``'s run, with its recorded spec listing two ``split`` images."""
    folder = make_run(tmp_path / "run")
    config = json.loads((folder / "config.json").read_text())
    spec = DatasetSpec.from_dict(config["dataset"]["spec"])
    dataset = open_dataset(spec)
    exclusions = spec.exclusions.excluding(*dataset.identity(split, 0))
    exclusions = exclusions.relabelling(*dataset.identity(split, 1), "star")
    config["dataset"]["spec"] = replace(spec, exclusions=exclusions).to_dict()
    (folder / "config.json").write_text(json.dumps(config))
    return folder


def test_evaluate_reports_the_test_split_as_given_and_cleaned(tmp_path, capsys):
    run = listed_run(tmp_path, "test")
    assert main(["evaluate", str(run), "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert len(figures["predicted"]) == 5  # 6 test images, one left out
    given = figures["as_given"]
    assert given["images"] == 6
    assert 0 <= given["accuracy"] <= 1
    assert main(["evaluate", str(run)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith("(cleaned: 5 images, after the exclusion list)")
    given_line = next(line for line in lines if line.startswith("as given  "))
    assert given_line.endswith("(6 images, before the list)")


def test_a_list_that_leaves_the_test_split_alone_reports_one_figure(tmp_path, capsys):
    run = listed_run(tmp_path, "train")
    assert main(["evaluate", str(run), "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert "as_given" not in figures
    assert len(figures["predicted"]) == 6


def test_the_as_given_words_follow_a_cleaned_figure_only(tmp_path):
    """The cleaned figure alone flatters: where a test accuracy is the headline
    (train's summary line, the Training page: tests/reliability/
    test_exclusion_list.py, tests/desktop/test_evaluation_listing.py), the
    as-given one follows it when the list touched the test split."""
    from core.runs import Run
    from core.training.evaluation import as_given_words
    from core.training.run_evaluation import evaluate_run

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    listed = evaluate_run(Run(listed_run(tmp_path / "a", "test")))
    words = as_given_words(listed)
    given = listed.as_given["accuracy"]
    assert words == (
        f" (cleaned: 5 images, after the exclusion list; as given {given:.4f} "
        "on 6 images)"
    )
    untouched = evaluate_run(Run(listed_run(tmp_path / "b", "train")))
    assert as_given_words(untouched) == ""
