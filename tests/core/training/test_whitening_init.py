"""Patch-whitening init of the first convolution (#26): computed in ``prepare``
from the training images, frozen or trainable, recorded, refused where it does
not apply."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from core.data.load import open_dataset
from core.data.spec import DatasetSpec
from core.errors import SpecError
from core.layers import WHITENING_FROZEN, WHITENING_TRAINABLE
from core.model_builder import build_model
from core.recipe.whitening import patch_moments
from core.spec import HeadSpec, InputSpec, LayerSpec, ModelSpec
from core.summary import summarize
from core.training.config import TrainingConfig
from core.training.whitening import whiten, whitening_batches

DATA = open_dataset(DatasetSpec(name="shapes", count=60))


def spec(init: str, filters: int = 24, before: tuple[LayerSpec, ...] = ()) -> ModelSpec:
    """Rescaling, then a 2x2 convolution as airbench's first layer."""
    conv = {"filters": filters, "kernel_size": [2, 2], "activation": "linear"}
    layers = (
        LayerSpec.create("Rescaling", "rescaling"),
        *before,
        LayerSpec.create("Conv2D", "whiten", {**conv, "init": init}),
        LayerSpec.create("GlobalAveragePooling2D", "pool"),
    )
    return ModelSpec(InputSpec(64, 64, 3), layers, HeadSpec(DATA.num_classes))


def sample(whitened: ModelSpec) -> tf.data.Dataset:
    """The batches ``whiten`` reads, from ``DATA``'s seed-0 sample."""
    return whitening_batches(whitened, DATA, 0)


def sample_inputs() -> np.ndarray:
    """The sample's images as the convolution sees them (rescaled)."""
    from core.recipe.whitening import sample_indices

    part = DATA.splits["train"]
    return part.images[sample_indices(len(part), 0)].astype("float32") / 255


def test_a_folder_sample_whitens_a_model_built_under_a_distribution_strategy(
    tmp_path,
):
    # A folder's pipeline keeps its decode check in a variable: made inside a
    # strategy's scope it was a mirrored one, and its first batch raised
    # NotImplementedError (mirrored and multi-worker training with whitening).
    from tests.test_recipe_runtime import image_folder

    root = image_folder(tmp_path / "images")
    data = open_dataset(DatasetSpec(kind="folder", name="f", path=str(root)))
    whitened = spec(WHITENING_FROZEN)
    batches = whitening_batches(whitened, data, 0)
    with tf.distribute.MirroredStrategy(["/cpu:0"]).scope():
        model = build_model(whitened)
        record = whiten(model, whitened, batches)
    assert record["sample_images"] == len(data.splits["train"])


def test_whitened_outputs_are_uncorrelated_with_unit_variance_on_the_sample():
    model = build_model(spec(WHITENING_FROZEN))
    record = whiten(model, spec(WHITENING_FROZEN), sample(spec(WHITENING_FROZEN)))
    assert record == {"layer": "whiten", "trainable": False, "sample_images": 48}
    layer = model.get_layer("whiten")
    out = tf.nn.conv2d(sample_inputs(), layer.kernel, 1, "VALID") + layer.bias
    flat = out.numpy().reshape(-1, 24)
    cov = np.cov(flat, rowvar=False)
    _, patches, _ = patch_moments([sample_inputs()], [2, 2], [1, 1])
    values = np.sort(np.linalg.eigvalsh(patches))[::-1]
    damped = values / (values + 5e-4 * values.mean())
    # 12 directions (D = 2*2*3) and their negatives: identity, damped by eps.
    assert np.allclose(np.diag(cov)[:12], damped, atol=1e-3)
    assert np.allclose(cov[:12, :12], np.diag(damped), atol=1e-3)
    assert np.allclose(cov[12:, 12:], cov[:12, :12], atol=1e-3)
    assert np.all(damped[:6] > 0.99)  # the main directions: unit variance
    assert np.allclose(flat.mean(axis=0), 0, atol=1e-3)  # the bias centres them


def one_step(init: str) -> tuple[np.ndarray, np.ndarray]:
    """The first kernel before and after one training step."""
    model = build_model(spec(init))
    whiten(model, spec(init), sample(spec(init)))
    model.compile("sgd", "sparse_categorical_crossentropy")
    before = model.get_layer("whiten").kernel.numpy().copy()
    part = DATA.splits["train"]
    model.fit(part.images[:16].astype("float32"), part.labels[:16], verbose=0)
    return before, model.get_layer("whiten").kernel.numpy()


def test_a_frozen_whitening_kernel_stays_and_a_trainable_one_trains():
    before, after = one_step(WHITENING_FROZEN)
    assert np.array_equal(before, after)
    before, after = one_step(WHITENING_TRAINABLE)
    assert not np.allclose(before, after)


def test_the_default_init_leaves_the_model_and_the_file_as_before():
    default = spec("default")
    model = build_model(default)
    assert whitening_batches(default, DATA, 0) is None
    assert whiten(model, default, None) is None
    assert "init" not in default.to_dict()["layers"][1]["config"]
    assert "init" not in default.layers[1].keras_config()
    frozen = spec(WHITENING_FROZEN)
    assert ModelSpec.from_dict(frozen.to_dict()) == frozen
    report = summarize(frozen).layers[1]
    assert (report.trainable, report.non_trainable) == (0, 2 * 2 * 3 * 24 + 24)


@pytest.mark.parametrize(
    ("model", "words"),
    [
        (
            spec(WHITENING_FROZEN, before=(LayerSpec.create("Conv2D", "first"),)),
            "only for the first layer with weights",
        ),
        (spec(WHITENING_FROZEN, filters=1), "at least 2 filters"),
    ],
)
def test_whitening_is_refused_in_one_line_where_it_does_not_apply(model, words):
    errors = summarize(model).errors
    assert len(errors) == 1
    assert words in errors[0][2]
    with pytest.raises(SpecError, match=words):
        build_model(model)


def test_a_run_records_its_whitening(tmp_path):
    from core.runs import RunStore
    from core.training.session import run_session

    cfg = TrainingConfig(epochs=1, batch_size=16)
    done = run_session(
        spec(WHITENING_FROZEN), dataset=DATA, cfg=cfg, store=RunStore(tmp_path)
    )
    record = done.run.record()
    assert record["whitening"] == {
        "layer": "whiten",
        "trainable": False,
        "sample_images": 48,
    }


def test_the_exported_script_whitens_the_same_layer_on_the_same_sample():
    from core.inference.python_export import python_script
    from core.recipe.whitening import sample_indices, whitening_sample

    text = python_script(spec(WHITENING_TRAINABLE), DatasetSpec(name="shapes"), cfg())
    assert "from recipe.whitening import whiten_first_conv, whitening_sample" in text
    assert "whiten_first_conv(model, 'whiten', sample, trainable=True)" in text
    assert "whiten_first_conv" not in python_script(spec("default"), None, cfg())
    part = DATA.splits["train"]
    images, _ = whitening_sample((part.images, part.labels), 0)
    assert np.array_equal(images, part.images[sample_indices(len(part), 0)])


def cfg() -> TrainingConfig:
    return TrainingConfig(epochs=1, batch_size=16)


def test_a_resume_starts_from_the_runs_saved_whitening(tmp_path, monkeypatch):
    """Whitening the resumed model afresh would be wrong for a trainable layer
    (its trained kernel is lost): the saved weights win over a new whitening,
    seen here with a frozen layer whose new whitening is zeroed."""
    from core.training import session
    from core.training.resume import resume_session
    from tests.core.training.test_resume import stopped_run

    shapes = DatasetSpec(name="shapes", count=60)
    first = stopped_run(tmp_path, shapes, spec=spec(WHITENING_FROZEN), stop_in=1)
    saved = first.model.get_layer("whiten").get_weights()

    def zeroed(model, *args):
        done = whiten(model, *args)
        layer = model.get_layer("whiten")
        layer.set_weights([np.zeros_like(w) for w in layer.get_weights()])
        return done

    monkeypatch.setattr(session, "whiten", zeroed)
    resumed = resume_session(first.run.path, epochs=3)
    assert resumed.result.epochs_run == 3
    for after, before in zip(
        resumed.model.get_layer("whiten").get_weights(), saved, strict=True
    ):
        np.testing.assert_array_equal(after, before)
