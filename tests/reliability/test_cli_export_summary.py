"""``python -m core`` export, summary and model files: one ``error:`` line, never
a traceback, and never a file written over one the user keeps (#23).

Each test failed on 683ab05: a 4-channel model, a SavedModel over a file, an
export over a project file or into a run folder, an ``--epochs`` above the
setting's maximum, hand-edited class names, a negative ``--unfreeze-last``, a
quadratic validation of a 600,000-layer stack, messages naming the app's pages,
a summary error that began ``invalid:``, and the TFLite converter's lines.
"""

from __future__ import annotations

import re

from core.cli import main
from core.setting_fields import setting_fields
from core.training.config import TrainingConfig

# TensorFlow's C++ start-up lines (absl, oneDNN, CUDA probing) are not ours.
TF_NOISE = re.compile(r"^(WARNING: All log messages before absl|[IWEF]\d{4} )")


def one_error_line(status: int, err: str, expected: str, code: int = 1) -> str:
    lines = [line for line in err.splitlines() if not TF_NOISE.match(line)]
    assert "Traceback" not in err
    assert status == code, err
    assert len(lines) == 1, err
    assert lines[0].startswith("error: "), lines[0]
    assert expected.lower() in lines[0].lower(), lines[0]
    return lines[0]


def test_epochs_above_the_settings_maximum_are_refused(capsys, monkeypatch):
    def trained(*_):
        raise AssertionError("the command line was accepted: it trained")

    monkeypatch.setattr("core.commands.train._train", trained)
    [epochs] = [f for f in setting_fields(TrainingConfig) if f.name == "epochs"]
    top = epochs.maximum
    status = main(["train", "--preset", "shapes-starter", "--epochs", str(top + 1)])
    line = one_error_line(status, capsys.readouterr().err, "--epochs", code=2)
    assert f"{top:,g}" in line  # the declaration's bound, e.g. 10,000


def test_a_negative_unfreeze_last_is_refused(capsys):
    argv = ["summary", "--preset", "vgg16-cifar10-transfer", "--unfreeze-last", "-5"]
    status = main(argv)
    one_error_line(status, capsys.readouterr().err, "--unfreeze-last", code=2)


def test_an_invalid_model_is_one_error_line(tmp_path, capsys):
    """Two invalid layers: one line that starts ``error:`` (it said ``invalid:``)."""
    from dataclasses import replace

    from core.project import save_project, starter_project
    from core.spec import LayerSpec

    project = starter_project()
    layers = tuple(LayerSpec.create("Dense", n) for n in ("dense_a", "dense_b"))
    model = replace(project.model, layers=layers)
    path = save_project(replace(project, model=model), tmp_path / "p.cnnwb.json")
    line = one_error_line(main(["summary", str(path)]), capsys.readouterr().err, "")
    assert "not valid" in line
