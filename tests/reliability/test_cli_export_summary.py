"""``python -m core`` export, summary and model files: one ``error:`` line, never
a traceback, and never a file written over one the user keeps (#23).

Each test failed on 683ab05: a 4-channel model, a SavedModel over a file, an
export over a project file or into a run folder, an ``--epochs`` above the
setting's maximum, hand-edited class names, a negative ``--unfreeze-last``, a
quadratic validation of a 600,000-layer stack, messages naming the app's pages,
a summary error that began ``invalid:``, and the TFLite converter's lines.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import keras
import pytest
from PIL import Image

from core.augmentation.config import AugmentationConfig
from core.cli import main
from core.data.spec import DatasetSpec
from core.inference.export import export_keras
from core.model_files.class_names import sidecar_path
from core.setting_fields import setting_fields
from core.training.config import TrainingConfig
from tests.core.inference.test_gradcam import app_model

# TensorFlow's C++ start-up lines (absl, oneDNN, CUDA probing) are not ours,
# nor is train's progress line while the data loads.
TF_NOISE = re.compile(r"^(WARNING: All log messages before absl|[IWEF]\d{4} |loading )")


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

    from core.presets import starter_project
    from core.project import save_project
    from core.spec import LayerSpec

    project = starter_project()
    layers = tuple(LayerSpec.create("Dense", n) for n in ("dense_a", "dense_b"))
    model = replace(project.model, layers=layers)
    path = save_project(replace(project, model=model), tmp_path / "p.cnnwb.json")
    line = one_error_line(main(["summary", str(path)]), capsys.readouterr().err, "")
    assert "not valid" in line


def make_run(folder: Path) -> Path:
    """A run folder as training leaves it, with a tiny 6-class model (shapes)."""
    folder.mkdir()
    model = app_model(6)
    model.save(folder / "best.keras")
    data = DatasetSpec(name="shapes", count=60, image_size=(32, 32))
    classes = ["circle", "square", "triangle", "star", "cross", "hexagon"]
    config = {
        "model": {
            "name": "m",
            "input": {"height": 32, "width": 32, "channels": 3},
            "layers": [],
            "head": {"num_classes": 6, "binary": "sigmoid"},
        },
        "dataset": {"name": "shapes", "classes": classes, "spec": data.to_dict()},
        "training": TrainingConfig(epochs=1).to_dict(),
        "augmentation": AugmentationConfig().to_dict(),
    }
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "run.json").write_text(json.dumps({"epochs_run": 1}))
    return folder


@pytest.fixture(scope="module")
def d(tmp_path_factory) -> Path:
    """Model files, an image, a run folder and a project file shared by the tests."""
    d = tmp_path_factory.mktemp("inputs")
    four = keras.Sequential(
        [
            keras.Input((16, 16, 4)),
            keras.layers.Conv2D(2, 3),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(3, activation="softmax"),
        ]
    )
    four.save(d / "four.keras")
    Image.new("RGB", (16, 16), "red").save(d / "image.png")
    make_run(d / "run")
    return d


@pytest.mark.parametrize(
    "argv",
    [
        ["predict", "{d}/four.keras", "{d}/image.png"],
        ["evaluate", "{d}/four.keras", "--dataset", "shapes"],
    ],
    ids=["predict", "evaluate"],
)
def test_a_four_channel_model_is_refused(argv, d, capsys):
    status = main([a.replace("{d}", str(d)) for a in argv])
    one_error_line(status, capsys.readouterr().err, "4-channel")


def test_a_saved_model_over_a_file_is_refused(d, tmp_path, capsys):
    existing = tmp_path / "existing_file"
    existing.write_text("mine")
    status = main(["export", str(d / "run"), str(existing), "--format", "saved_model"])
    one_error_line(status, capsys.readouterr().err, "is a file")
    assert existing.read_text() == "mine"


def test_a_saved_model_never_mixes_into_a_folder_of_other_files(d, tmp_path, capsys):
    folder = tmp_path / "served"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    status = main(["export", str(d / "run"), str(folder), "--format", "saved_model"])
    one_error_line(status, capsys.readouterr().err, "already holds other files")
    assert [p.name for p in folder.iterdir()] == ["notes.txt"]


def test_a_saved_model_replaces_an_earlier_one_and_says_so(d, tmp_path, capsys):
    folder = tmp_path / "served"
    argv = ["export", str(d / "run"), str(folder), "--format", "saved_model"]
    assert main(argv) == 0
    assert "replaced" not in capsys.readouterr().out
    (folder / "stale.txt").write_text("from the earlier export")
    assert main(argv) == 0
    assert "replaced the earlier SavedModel" in capsys.readouterr().out
    assert (folder / "saved_model.pb").is_file()
    assert not (folder / "stale.txt").exists()  # replaced whole, not merged
    # no temporaries; the verification beside the folder
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "served",
        "served.card.md",
        "served.verify.json",
    ]


@pytest.mark.parametrize(
    ("out", "form"),
    [
        ("my.cnnwb.json", "python"),
        ("my.cnnwb.json", "tflite"),
        ("my.cnnwb.json", "keras"),
        ("model.keras", "tflite"),
        ("model.tflite", "python"),
        ("served.keras", "saved_model"),
    ],
)
def test_an_output_whose_suffix_does_not_fit_the_format_is_refused(
    out, form, d, tmp_path, capsys
):
    project = tmp_path / "my.cnnwb.json"
    project.write_text('{"format": "cnn-workbench-project"}')
    target = tmp_path / out
    before = target.read_bytes() if target.exists() else None
    status = main(["export", str(d / "run"), str(target), "--format", form])
    one_error_line(status, capsys.readouterr().err, target.name)
    assert (target.read_bytes() if target.exists() else None) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["my.cnnwb.json"]


@pytest.mark.parametrize("inside", ["best.keras", "copy.keras", "served"])
def test_an_export_never_writes_into_a_run_folder(inside, tmp_path, capsys):
    run = make_run(tmp_path / "run")
    before = {p.name: p.read_bytes() for p in run.iterdir()}
    form = "saved_model" if inside == "served" else "keras"
    status = main(["export", str(run), str(run / inside), "--format", form])
    one_error_line(status, capsys.readouterr().err, "run folder")
    assert {p.name: p.read_bytes() for p in run.iterdir()} == before


def test_evaluating_a_run_whose_model_an_export_replaced_is_one_line(tmp_path, capsys):
    """What ``export RUN RUN/best.keras`` left behind before it was refused."""
    run = make_run(tmp_path / "run")
    export_keras(app_model(6), tmp_path / "exported.keras", list("abcdef"))
    (tmp_path / "exported.keras").replace(run / "best.keras")
    status = main(["evaluate", str(run)])
    one_error_line(status, capsys.readouterr().err, "any size")


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        ([1, None, "c"], "class name 1 is 1"),
        (["a", None, "c"], "class name 2 is null"),
        (["a", "a", "c"], "'a' is given twice"),
        (["a", " ", "c"], "class name 2"),
    ],
)
def test_hand_edited_class_names_are_refused(names, expected, tmp_path, capsys):
    model = tmp_path / "named.keras"
    app_model(3).save(model)
    sidecar_path(model).write_text(json.dumps({"class_names": names}))
    Image.new("RGB", (12, 10), "red").save(tmp_path / "image.png")
    status = main(["predict", str(model), str(tmp_path / "image.png")])
    one_error_line(status, capsys.readouterr().err, expected)


def test_tflite_export_prints_one_line_unless_verbose(d, tmp_path, capfd):
    """The converter's ~20 lines (Python and C++ alike) stay out of the output:
    one line for the file, then the verification's own."""
    out = tmp_path / "m.tflite"
    assert main(["export", str(d / "run"), str(out)]) == 0
    printed = capfd.readouterr()
    said = printed.out.splitlines()
    assert said[0] == f"exported {d / 'run' / 'best.keras'} to {out} (6 classes)"
    assert [line.split()[0] for line in said[1:]] == [
        "verification",
        "agreement",
        "largest",
    ]
    assert [line for line in printed.err.splitlines() if line.strip()] == []
    assert out.stat().st_size > 0
    assert main(["export", str(d / "run"), str(out), "--verbose"]) == 0
    assert len(capfd.readouterr().out.splitlines()) > 1  # --verbose shows them


def shapes_project(tmp_path: Path, classes: int = 6, dataset: bool = True) -> Path:
    from core.project import Project, save_project
    from tests.core.training.test_train_cli import tiny_spec

    project = Project(
        name="tiny",
        model=tiny_spec(classes, name="tiny"),
        dataset=DatasetSpec(name="shapes", count=60, image_size=(32, 32))
        if dataset
        else None,
        training=TrainingConfig(epochs=1, batch_size=8),
    )
    return save_project(project, tmp_path / "tiny.cnnwb.json")


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("classes", "set model.head.num_classes to 6 in the project file"),
        ("no dataset", "give --dataset"),
        ("no run", "python -m core train"),
    ],
)
def test_cli_messages_name_what_to_change_not_a_page(case, expected, tmp_path, capsys):
    """The app's refusals name its pages; the command line's name the project."""
    if case == "classes":
        argv = ["train", str(shapes_project(tmp_path, classes=3))]
    elif case == "no dataset":
        argv = ["train", str(shapes_project(tmp_path, dataset=False))]
    else:
        argv = ["export", str(shapes_project(tmp_path)), str(tmp_path / "m.keras")]
    line = one_error_line(main(argv), capsys.readouterr().err, expected)
    assert "page" not in line.lower()


def test_the_app_keeps_its_pages_words(tmp_path):
    from core.data.load import open_dataset
    from core.project import load_project
    from core.training.preflight import preflight

    project = load_project(shapes_project(tmp_path, classes=3))
    [problem] = preflight(
        project.model, open_dataset(project.dataset), TrainingConfig()
    )
    assert "set the classes to 6 on the Model page" in problem


class CountedName(str):
    """A layer name that counts how often validation compares or hashes it."""

    uses = 0

    def __eq__(self, other: object) -> bool:
        CountedName.uses += 1
        return str.__eq__(self, other)

    def __hash__(self) -> int:
        CountedName.uses += 1
        return str.__hash__(self)


def name_uses_to_validate(layers: int) -> int:
    from core.spec import ModelSpec
    from core.summary import summarize

    data = {
        "name": "deep",
        "input": {"height": 8, "width": 8, "channels": 3},
        "layers": [
            {"class_name": "ReLU", "config": {"name": CountedName(f"relu_{i}")}}
            for i in range(layers)
        ],
        "head": {"num_classes": 2, "binary": "sigmoid"},
    }
    CountedName.uses = 0
    summarize(ModelSpec.from_dict(data))
    return CountedName.uses


def test_validating_a_deep_stack_takes_linear_work():
    """A 600,000-layer project's summary took quadratic time: each name was
    compared with every earlier one. Twice the layers must cost about twice
    the comparisons (a count, not a timing: 4x before)."""
    small, large = name_uses_to_validate(1_000), name_uses_to_validate(2_000)
    assert large < 2.5 * small
    assert large < 20 * 2_000


def test_quietly_keeps_native_lines_for_verbose_or_a_failure(capfd, monkeypatch):
    """TensorFlow's C++ log writes to descriptors 1 and 2, past sys.stdout."""
    import os

    from core import tf_runtime

    monkeypatch.setattr(tf_runtime, "_quiet", True)  # a command without --verbose
    with tf_runtime.quietly():
        os.write(1, b"W0000 converter line on stdout\n")
        os.write(2, b"I0000 converter line on stderr\n")
        print("Saved artifact at '/tmp/x'.")
    assert capfd.readouterr() == ("", "")
    kept = tf_runtime.startup_log()
    assert "converter line on stdout" in kept
    assert "Saved artifact" in kept
