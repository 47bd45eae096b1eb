"""Test-time augmentation: the views it averages, the run's record, the CLI, the export.

Each expectation is computed by hand: the plain model on images flipped and
shifted with numpy, probabilities averaged in numpy.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
from PIL import Image

from core.augmentation.config import AugmentationConfig
from core.cli import main
from core.data.load import open_dataset
from core.data.pipeline import make_tf_dataset
from core.data.spec import DatasetSpec
from core.errors import WorkbenchError
from core.inference.export import export_keras
from core.inference.output_activation import output_activation
from core.inference.predict import image_probabilities, predict
from core.inference.python_export import python_script
from core.model_files.loading import load_model_file
from core.project import Project, load_project, save_project
from core.recipe.tta import SHIFT, average_views
from core.run_model import run_model
from core.runs import Run, RunStore
from core.training.config import TrainingConfig
from core.training.evaluation import Evaluation, evaluate, metrics_from_probabilities
from core.training.loss import loss_for
from core.training.run_evaluation import evaluate_run
from core.training.session import evaluate_test_split, run_session
from core.tta import with_tta
from tests.core.inference.test_python_export_runs import run_script
from tests.tiny_model import tiny_spec


def flat_model(units: int = 3, activation: str = "softmax") -> keras.Model:
    """A model that tells a view from its mirror (Flatten keeps positions)."""
    keras.utils.set_random_seed(1)
    inputs = keras.Input((8, 7, 3))
    x = keras.layers.Rescaling(1 / 255)(inputs)
    x = keras.layers.Conv2D(4, 3, activation="relu")(x)
    x = keras.layers.Flatten()(x)
    return keras.Model(inputs, keras.layers.Dense(units, activation=activation)(x))


def images(n: int = 5, h: int = 8, w: int = 7) -> np.ndarray:
    return np.random.default_rng(2).uniform(0, 255, (n, h, w, 3)).astype(np.float32)


def moved(x: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """``x`` moved down ``dy`` and right ``dx``, the gap mirroring the edge
    (numpy's "symmetric" = Keras RandomTranslation's "reflect")."""
    h, w = x.shape[1:3]
    s = SHIFT
    padded = np.pad(x, ((0, 0), (s, s), (s, s), (0, 0)), mode="symmetric")
    return padded[:, s - dy : s - dy + h, s - dx : s - dx + w]


def expected_views(x: np.ndarray, mode: str) -> list[np.ndarray]:
    views = [x]
    if mode in ("flip", "flip_shifts"):
        views.append(x[:, :, ::-1])
    if mode == "flip_shifts":
        views += [moved(x, 2, 0), moved(x, -2, 0), moved(x, 0, 2), moved(x, 0, -2)]
    return views


def layer_names(model: keras.Model) -> set[str]:
    """Every layer's name, nested models' too."""
    names = set()
    for layer in model.layers:
        names.add(layer.name)
        if isinstance(layer, keras.Model):
            names |= layer_names(layer)
    return names


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


@pytest.mark.parametrize(("mode", "count"), [("flip", 2), ("flip_shifts", 6)])
def test_tta_averages_the_expected_views(mode, count):
    model, x = flat_model(), images()
    views = expected_views(x, mode)
    assert len(views) == count
    want = np.mean([np.asarray(model(v)) for v in views], axis=0)
    got = np.asarray(with_tta(model, mode)(x))
    np.testing.assert_allclose(got, want, atol=1e-7)
    # each view is needed: without the last, the mean differs
    fewer = np.mean([np.asarray(model(v)) for v in views[:-1]], axis=0)
    assert np.abs(got - fewer).max() > 1e-4


def test_logits_become_probabilities_per_view_before_the_mean():
    logits, x = flat_model(activation="linear"), images()
    views = [np.asarray(logits(v), np.float64) for v in expected_views(x, "flip")]
    got = np.asarray(with_tta(logits, "flip", "softmax")(x))
    np.testing.assert_allclose(got, np.mean([softmax(v) for v in views], 0), atol=1e-6)
    # a calibration temperature divides each view's logits before its softmax
    inputs = keras.Input((8, 7, 3))
    outs = [logits(inputs), logits(keras.layers.Permute((1, 2, 3))(inputs))]
    tempered = keras.Model(inputs, average_views(outs, "softmax", temperature=2.0))
    want = softmax(np.asarray(logits(x), np.float64) / 2)
    np.testing.assert_allclose(np.asarray(tempered(x)), want, atol=1e-6)
    with pytest.raises(ValueError, match="logits"):
        average_views(outs, None, temperature=2.0)


def test_a_sigmoid_head_averages_its_sigmoid():
    model, x = flat_model(1, "linear"), images()
    views = [np.asarray(model(v), np.float64) for v in expected_views(x, "flip")]
    want = np.mean([1 / (1 + np.exp(-v)) for v in views], axis=0)
    got = np.asarray(with_tta(model, "flip", "sigmoid")(x))
    np.testing.assert_allclose(got, want, atol=1e-6)


def test_none_is_the_model_itself_and_refusals_are_words():
    model = flat_model()
    assert with_tta(model, "none") is model
    with pytest.raises(WorkbenchError, match="unknown test-time augmentation"):
        with_tta(model, "rotate")
    inputs = keras.Input((None, None, 3))
    any_size = keras.Model(inputs, keras.layers.GlobalAveragePooling2D()(inputs))
    with pytest.raises(WorkbenchError, match="fixed input size"):
        with_tta(any_size, "flip")
    small = keras.Input((2, 2, 3))
    tiny = keras.Model(small, keras.layers.Flatten()(small))
    with pytest.raises(WorkbenchError, match="larger than"):
        with_tta(tiny, "flip_shifts")


def test_predict_uses_the_views_and_none_is_todays_prediction():
    model = flat_model(activation="linear")
    u8 = images().astype(np.uint8)
    rule = output_activation(model)
    plain = image_probabilities(model, list(u8), rule)
    want = softmax(np.asarray(model(u8.astype(np.float32)), np.float64))
    np.testing.assert_allclose(plain, want, atol=1e-6)
    names = ["a", "b", "c"]
    assert predict(model, list(u8), names, tta="none") == predict(
        model, list(u8), names
    )
    views = [np.asarray(model(v), np.float64) for v in expected_views(u8, "flip")]
    want = np.mean([softmax(v) for v in views], axis=0)
    top = predict(model, list(u8), names, top_k=1, tta="flip")
    for row, p in zip(top, want, strict=True):
        assert row[0] == (names[int(p.argmax())], pytest.approx(p.max(), abs=1e-6))


@pytest.fixture(scope="module")
def flip_run(tmp_path_factory):
    """A one-epoch run of the tiny model on shapes, set to flip TTA."""
    keras.utils.set_random_seed(0)
    folder = tmp_path_factory.mktemp("tta")
    spec = DatasetSpec(name="shapes", count=60)
    data = open_dataset(spec)
    result = run_session(
        tiny_spec(),
        dataset=data,
        cfg=TrainingConfig(epochs=1, batch_size=16, tta="flip"),
        store=RunStore(folder / "runs"),
        data_spec=spec,
    )
    return result.run, data


def _test_images(data) -> tuple[np.ndarray, np.ndarray]:
    test = make_tf_dataset(data, "test", (32, 32), 3, 64, cache=False)
    x = np.concatenate([np.asarray(b) for b, _ in test])
    y = np.concatenate([np.asarray(t) for _, t in test])
    return x, y


def test_the_run_records_its_tta_and_its_figures_use_it(flip_run):
    run, data = flip_run
    record = json.loads((run.path / "evaluation.json").read_text())
    assert record["tta"] == "flip"
    assert run.config()["training"]["tta"] == "flip"
    model = load_model_file(run_model(run.path).path)
    x, y = _test_images(data)
    averaged = np.mean([np.asarray(model(v)) for v in expected_views(x, "flip")], 0)
    assert record["predicted"] == averaged.argmax(axis=1).tolist()
    confusion = np.zeros((6, 6), int)
    np.add.at(confusion, (y, averaged.argmax(axis=1)), 1)
    assert record["confusion"] == confusion.tolist()
    # evaluating it again without TTA gives the plain model's figures
    plain = evaluate_run(Run(run.path), data, tta="none")
    assert plain.tta == "none"
    assert plain.predicted == np.asarray(model(x)).argmax(axis=1).tolist()


def test_evaluate_tta_overrides_the_runs_and_is_named(flip_run, capsys):
    run, _ = flip_run
    assert main(["evaluate", str(run.path), "--tta", "flip_shifts", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["tta"] == "flip_shifts"
    assert main(["evaluate", str(run.path)]) == 0
    assert "tta            flip (2 views)" in capsys.readouterr().out
    assert main(["evaluate", str(run.path), "--tta", "none"]) == 0
    assert "tta" not in capsys.readouterr().out


def test_predict_on_a_run_uses_its_tta(flip_run, tmp_path, capsys):
    run, _ = flip_run
    image = np.random.default_rng(3).integers(0, 255, (32, 32, 3), np.uint8)
    Image.fromarray(image).save(tmp_path / "x.png")
    model = load_model_file(run_model(run.path).path)
    x = image[None].astype(np.float32)
    flip = np.mean([np.asarray(model(v)) for v in expected_views(x, "flip")], 0)[0]
    for extra, want in (([], flip), (["--tta", "none"], np.asarray(model(x))[0])):
        assert (
            main(["predict", str(run.path), str(tmp_path / "x.png"), "--csv", *extra])
            == 0
        )
        row = capsys.readouterr().out.strip().splitlines()[1].split(",")
        assert float(row[2]) == pytest.approx(want.max(), abs=1e-4)


EXPORTED = """
import sys
import numpy as np
import keras
model = keras.models.load_model(sys.argv[1], safe_mode=True)
np.save(sys.argv[3], np.asarray(model.predict(np.load(sys.argv[2]), verbose=0)))
print(sorted(m for m in sys.modules if m.split(".")[0] in ("core", "tests")))
"""


@pytest.mark.parametrize("mode", ["flip", "flip_shifts"])
def test_an_exported_tta_model_loads_in_safe_mode_and_matches_the_app(
    flip_run, tmp_path, mode
):
    run, data = flip_run
    model = load_model_file(run_model(run.path).path)
    path = export_keras(model, tmp_path / "m.keras", data.class_names, tta=mode)
    raw = np.random.default_rng(4).integers(0, 255, (4, 32, 32, 3), np.uint8)
    np.save(tmp_path / "x.npy", raw.astype(np.float32))
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            textwrap.dedent(EXPORTED),
            str(path),
            str(tmp_path / "x.npy"),
            str(tmp_path / "p.npy"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"  # nothing of the app
    exported = np.load(tmp_path / "p.npy")
    app = image_probabilities(
        with_tta(model, mode), list(raw), output_activation(model)
    )
    assert np.abs(exported - app).max() <= 1e-6
    plain = image_probabilities(model, list(raw), output_activation(model))
    assert np.abs(exported - plain).max() > 1e-6  # the views are in the file


def test_export_tta_on_the_command_line(flip_run, tmp_path, capsys):
    run, _ = flip_run
    out = tmp_path / "m.keras"
    assert main(["export", str(run.path), str(out), "--tta", "flip"]) == 0
    assert "test-time augmentation flip" in capsys.readouterr().out
    assert "tta_average" in layer_names(load_model_file(out))
    lite = tmp_path / "m.tflite"
    assert main(["export", str(run.path), str(lite), "--tta", "flip"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ")
    assert "\n" not in err
    assert not lite.exists()


def test_the_exported_script_tests_with_the_projects_tta(tmp_path):

    spec, data = tiny_spec(), DatasetSpec(name="shapes", count=60)
    plain = TrainingConfig(epochs=1, batch_size=16)
    text = python_script(spec, data, plain, AugmentationConfig())
    assert "tta" not in text.lower()  # the default script is today's
    flip = TrainingConfig(epochs=1, batch_size=16, tta="flip")
    text = python_script(spec, data, flip, AugmentationConfig())
    assert "from recipe.tta import tta_model" in text
    assert "tested = tta_model(model, TTA)" in text
    done = run_script(tmp_path, text)
    assert "test:" in done.stdout
    assert (tmp_path / "recipe" / "tta.py").is_file()


def test_an_evaluation_recorded_before_tta_reads_as_none():
    probs = np.array([[0.9, 0.1], [0.3, 0.7], [0.6, 0.4]])
    made = metrics_from_probabilities(np.array([0, 1, 1]), probs, ["a", "b"])
    old = made.to_dict()
    del old["tta"]  # evaluation.json as written before TTA existed
    assert Evaluation.from_dict(old) == made
    assert made.tta == "none"


def test_the_default_tests_the_plain_model_as_before(flip_run):
    run, data = flip_run
    model = load_model_file(run_model(run.path).path)
    default, _ = evaluate_test_split(model, data, 16)
    test = make_tf_dataset(data, "test", (32, 32), 3, 16)
    before = evaluate(model, test, data.class_names, loss=loss_for(6))
    assert default == before  # the figures today's code computes, tta "none"


def test_a_project_with_tta_trains_on_the_command_line_and_says_it(tmp_path, capsys):
    project = Project(
        name="tta",
        model=tiny_spec(),
        dataset=DatasetSpec(name="shapes", count=60),
        training=TrainingConfig(epochs=1, batch_size=16, tta="flip_shifts"),
    )
    path = save_project(project, tmp_path / "tta.cnnwb.json")
    assert load_project(path).training.tta == "flip_shifts"
    assert main(["train", str(path)]) == 0
    assert "test-time augmentation flip_shifts" in capsys.readouterr().out
    (run,) = RunStore.beside(path).list()
    assert json.loads((run.path / "evaluation.json").read_text())["tta"] == (
        "flip_shifts"
    )
