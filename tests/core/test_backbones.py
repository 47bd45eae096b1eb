"""Backbones: counts equal Keras's, freezing, preprocessing, weights, cache, Grad-CAM.

No test downloads anything: backbones are built with ``weights="none"`` or with
a weights file the test saves itself.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import keras
import numpy as np
import pytest

from core import backbone_table
from core.backbone_builder import apply_freeze, backbone_layer_names, make_base
from core.backbones import BACKBONES
from core.errors import ProjectFormatError, SpecError, WeightsError
from core.model_builder import build_model
from core.presets import preset
from core.spec import HeadSpec, InputSpec, LayerSpec, ModelSpec
from core.summary import format_table, summarize
from core.weights_download import IMAGENET_NOTOP
from tests.core.test_summary_keras import assert_equal_to_keras

SIZES = {name: (32, 48) for name in BACKBONES} | {"Xception": (71, 80)}


def backbone_spec(
    architecture: str,
    size: int = 32,
    channels: int = 3,
    classes: int = 3,
    **options: object,
) -> ModelSpec:
    return ModelSpec(
        InputSpec(size, size, channels),
        (
            LayerSpec.create(
                "Backbone",
                "base",
                {"architecture": architecture, "weights": "none", **options},
            ),
            LayerSpec.create("GlobalAveragePooling2D", "gap_1"),
        ),
        HeadSpec(classes),
    )


def count(weights) -> int:
    return sum(math.prod(w.shape) for w in weights)


def transfer_preset() -> ModelSpec:
    return preset("vgg16-cifar10-transfer").with_backbone_options(weights="none")


@pytest.mark.parametrize(
    ("architecture", "size"),
    [(name, size) for name in BACKBONES for size in SIZES[name]],
)
def test_shapes_and_counts_equal_keras(architecture, size):
    """Per inner layer: name, output shape, trainable and non-trainable weights."""
    spec = backbone_spec(architecture, size, freeze="none")
    assert_equal_to_keras(spec)
    assert_equal_to_keras(spec.with_backbone_options(freeze="all"))


def test_the_tutorial_preset_counts():
    spec = transfer_preset()
    frozen = summarize(spec)
    assert (frozen.total, frozen.trainable, frozen.non_trainable) == (
        14_916_426,
        200_714,
        14_715_712,
    )
    tuned = summarize(
        spec.with_backbone_options(freeze="from_layer", unfreeze_from="block5_conv1")
    )
    assert (tuned.total, tuned.trainable) == (14_916_426, 7_280_138)
    model = build_model(spec)
    assert model.count_params() == 14_916_426
    assert count(model.trainable_weights) == 200_714
    apply_freeze(model, spec, {"freeze": "from_layer", "unfreeze_from": "block5_conv1"})
    assert count(model.trainable_weights) == 7_280_138


def test_freezing_from_a_named_layer_trains_exactly_the_layers_after_it():
    spec = transfer_preset()
    model = build_model(spec)
    unfrozen = apply_freeze(
        model, spec, {"freeze": "from_layer", "unfreeze_from": "block5_conv1"}
    )
    assert unfrozen == ["block5_conv1", "block5_conv2", "block5_conv3", "block5_pool"]
    names = backbone_layer_names(model, spec)
    assert names[0] == "block1_conv1"
    trainable = {n for n in names if model.get_layer(n).trainable}
    assert trainable == set(unfrozen)
    # The summary's per-layer trainable state says the same.
    tuned = summarize(
        spec.with_backbone_options(freeze="from_layer", unfreeze_from="block5_conv1")
    )
    block = tuned.layers[0]
    assert block.is_block
    assert {r.name for r in block.inner if not r.frozen} == set(unfrozen)


def test_last_n_and_empty_unfreeze_from_use_the_default_top_block():
    spec = transfer_preset()
    model = build_model(spec)
    assert apply_freeze(model, spec, {"freeze": "last_n", "last_n": 2}) == [
        "block5_conv3",
        "block5_pool",
    ]
    assert apply_freeze(model, spec, {"freeze": "from_layer", "unfreeze_from": ""}) == [
        "block5_conv1",
        "block5_conv2",
        "block5_conv3",
        "block5_pool",
    ]


def test_batch_normalization_stays_frozen_and_in_inference_mode():
    spec = backbone_spec("MobileNetV2", freeze="none")
    model = build_model(spec)
    bns = [
        model.get_layer(n)
        for n in backbone_layer_names(model, spec)
        if isinstance(model.get_layer(n), keras.layers.BatchNormalization)
    ]
    assert bns
    assert not any(bn.trainable for bn in bns)
    before = [bn.moving_mean.numpy().copy() for bn in bns]
    x = np.random.default_rng(0).uniform(0, 255, (4, 32, 32, 3)).astype("float32")
    np.testing.assert_allclose(
        model(x, training=True), model(x, training=False), atol=1e-5
    )
    for bn, mean in zip(bns, before, strict=True):
        np.testing.assert_array_equal(bn.moving_mean.numpy(), mean)
    # Summary: BN's gamma and beta count as non-trainable even with freeze none.
    summary = summarize(spec)
    for row in summary.layers[0].inner:
        if row.class_name == "BatchNormalization":
            assert row.trainable == 0
            assert row.frozen


def test_grayscale_is_repeated_to_rgb_and_small_images_can_be_resized(tmp_path):
    small = backbone_spec("Xception", 32, channels=1)
    [(_, _, message)] = summarize(small).errors
    assert "at least 71x71" in message
    assert "resize_to" in message
    with pytest.raises(SpecError):
        build_model(small)
    spec = small.with_backbone_options(resize_to=[71, 71])
    summary = summarize(spec)
    assert summary.is_valid
    inner = summary.layers[0].inner
    assert [r.name for r in inner[:3]] == [
        "base_to_rgb",
        "base_resize",
        "base_preprocess",
    ]
    assert inner[1].output_shape == (71, 71, 3)
    assert any("memory" in note for note in summary.layers[0].notes)
    assert_equal_to_keras(spec)
    # Stock layers only: the export loads with plain Keras in safe mode.
    model = build_model(spec)
    path = tmp_path / "gray.keras"
    model.save(path)
    loaded = keras.models.load_model(path, safe_mode=True)
    x = np.random.default_rng(1).uniform(0, 255, (2, 32, 32, 1)).astype("float32")
    np.testing.assert_allclose(loaded(x), model(x), atol=1e-5)


def test_rgba_input_and_a_backbone_later_in_the_stack_are_refused():
    [(_, _, message)] = summarize(backbone_spec("VGG16", channels=4)).errors
    assert "channels" in message
    spec = backbone_spec("VGG16")
    moved = ModelSpec(spec.input, (spec.layers[1], spec.layers[0]), spec.head)
    assert any("first element" in m for _, _, m in summarize(moved).errors)


def test_a_head_layer_named_like_a_backbone_layer_is_refused():
    spec = backbone_spec("VGG16")
    clash = ModelSpec(
        spec.input,
        (spec.layers[0], LayerSpec.create("Flatten", "block5_pool")),
        spec.head,
    )
    [(index, _, message)] = summarize(clash).errors
    assert index == 1
    assert "already has a layer" in message


def test_backbone_options_round_trip_and_are_validated():
    spec = transfer_preset().with_backbone_options(resize_to=[48, 48])
    assert ModelSpec.from_dict(spec.to_dict()) == spec
    bad = spec.to_dict()
    bad["layers"][0]["config"]["freeze"] = "half"
    with pytest.raises(ProjectFormatError, match=r"layers\[0\]\.config\.freeze"):
        ModelSpec.from_dict(bad)
    unknown = summarize(
        spec.with_backbone_options(freeze="from_layer", unfreeze_from="nope")
    )
    assert "no layer 'nope'" in unknown.errors[0][2]


def test_summary_notes_say_where_weights_come_from():
    assert "random initialisation" in summarize(transfer_preset()).layers[0].notes[0]
    assert "ImageNet" in summarize(preset("vgg16-cifar10-transfer")).layers[0].notes[0]
    text = format_table(transfer_preset(), expand=True)
    assert "  block5_conv1 (Conv2D) [frozen]" in text
    assert "Trainable params: 200,714" in text


def test_a_local_weights_file_is_loaded_and_bgr_is_folded_into_the_kernel(tmp_path):
    """Our model on RGB 0-255 equals Keras's preprocess_input + the stock base."""
    keras.utils.set_random_seed(0)
    source = keras.applications.VGG16(
        include_top=False, weights=None, input_shape=(32, 32, 3)
    )
    path = tmp_path / "vgg16_notop.weights.h5"
    source.save_weights(path)
    spec = backbone_spec("VGG16", weights=str(path))
    model = build_model(spec)
    first = model.get_layer("block1_conv1").get_weights()[0]
    np.testing.assert_array_equal(
        first, source.get_layer("block1_conv1").get_weights()[0][:, :, ::-1, :]
    )
    np.testing.assert_array_equal(
        model.get_layer("block5_conv3").get_weights()[0],
        source.get_layer("block5_conv3").get_weights()[0],
    )
    features = keras.Model(model.input, model.get_layer("block5_pool").output)
    x = np.random.default_rng(2).uniform(0, 255, (2, 32, 32, 3)).astype("float32")
    expected = source(keras.applications.vgg16.preprocess_input(x.copy()))
    np.testing.assert_allclose(features(x), expected, rtol=1e-4, atol=1e-3)


def test_weights_that_cannot_be_had_raise_a_clear_error(tmp_path, monkeypatch):
    # A missing file is a validation problem of the spec, found before Keras.
    missing = backbone_spec("VGG16", weights=str(tmp_path / "missing.h5"))
    assert "does not exist" in summarize(missing).errors[0][2]
    with pytest.raises(SpecError, match="does not exist"):
        build_model(missing)

    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))  # nothing cached
    offline = replace(IMAGENET_NOTOP["VGG16"], url="http://127.0.0.1:9/vgg16.h5")
    monkeypatch.setitem(IMAGENET_NOTOP, "VGG16", offline)
    with pytest.raises(WeightsError, match="offline") as info:
        build_model(backbone_spec("VGG16", weights="imagenet"))
    assert "local weights file" in str(info.value)


def test_the_layer_table_is_cached_on_disk_and_a_damaged_file_is_rebuilt(monkeypatch):
    backbone_table._memory.clear()
    first = backbone_table.backbone_table("VGG16", 40, 40)
    path = backbone_table.table_path("VGG16", 40, 40)
    assert path.is_file()
    backbone_table._memory.clear()

    def no_build(*args):
        raise AssertionError("should have been read from disk")

    monkeypatch.setattr(backbone_table, "_build", no_build)
    assert backbone_table.backbone_table("VGG16", 40, 40) == first
    backbone_table._memory.clear()
    path.write_text("{ damaged", encoding="utf-8")
    assert backbone_table.cached_table("VGG16", 40, 40) is None
    monkeypatch.undo()
    assert backbone_table.backbone_table("VGG16", 40, 40) == first


def test_gradcam_reaches_the_backbones_inner_layers():
    from core.inference.gradcam import conv_layer_names, gradcam
    from core.inference.insight import activation_grid

    model = build_model(transfer_preset())
    assert "block5_conv3" in conv_layer_names(model)
    image = np.random.default_rng(3).uniform(0, 255, (32, 32, 3)).astype("uint8")
    heat = gradcam(model, image, layer="block5_conv3")
    assert heat.shape == (32, 32)
    assert heat.min() >= 0
    assert heat.max() <= 1
    assert activation_grid(model, image, "block1_conv1") is not None


def test_make_base_names_are_stable_within_one_process():
    keras.layers.Conv2D(1, 1)  # bumps Keras's automatic name counters
    first = [
        layer.name for layer in make_base("Xception", input_shape=(71, 71, 3)).layers
    ]
    second = [
        layer.name for layer in make_base("Xception", input_shape=(71, 71, 3)).layers
    ]
    assert first[1:] == second[1:]
    assert "xception_conv2d_1" in first


def test_cli_summary_prints_the_tutorial_splits(capsys):
    from core.cli import main

    assert main(["summary", "--preset", "vgg16-cifar10-transfer"]) == 0
    out = capsys.readouterr().out
    assert "Total params: 14,916,426" in out
    assert "Trainable params: 200,714" in out
    assert "Non-trainable params: 14,715,712" in out
    assert "vgg16 (Backbone)" in out
    argv = ["summary", "--preset", "vgg16-cifar10-transfer"]
    assert main([*argv, "--unfreeze-from", "block5_conv1"]) == 0
    assert "Trainable params: 7,280,138" in capsys.readouterr().out
    assert main([*argv, "--unfreeze-from", "nope"]) == 1
    assert main(["summary", "--preset", "mnist-convnet", "--unfreeze-last", "2"]) == 1


def test_a_cached_table_needs_no_tensorflow(tmp_path):
    """Once the table is on disk, a summary with a backbone stays instant."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "CNN_WORKBENCH_DATA_DIR": str(tmp_path)}
    code = (
        "import sys\nfrom core.presets import preset\nfrom core.summary import "
        "summarize\ns = summarize(preset('vgg16-cifar10-transfer'))\n"
        "print(s.trainable, 'tensorflow' in sys.modules)"
    )

    def run() -> str:
        return subprocess.run(
            [sys.executable, "-c", code],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).resolve().parents[2],
        ).stdout.split()

    assert run() == ["200714", "True"]  # the first summary builds the table
    assert run() == ["200714", "False"]


def test_the_editor_can_summarise_without_ever_building():
    spec = backbone_spec("VGG16", 36)
    backbone_table._memory.clear()
    waiting = summarize(spec, tables=backbone_table.cached_only)
    [(_, _, message)] = waiting.errors  # nothing builds while it is measured
    assert "being measured" in message
    assert waiting.layers[0].pending
    assert waiting.measuring
    wrong = replace(spec, input=replace(spec.input, channels=4))
    assert not summarize(wrong, tables=backbone_table.cached_only).measuring
    backbone_table.backbone_table("VGG16", 36, 36)
    assert summarize(spec, tables=backbone_table.cached_only).is_valid


def test_switching_architecture_resets_freeze_options_and_default_name():
    spec = preset("vgg16-cifar10-transfer").with_backbone_options(
        freeze="from_layer", unfreeze_from="block5_conv1", last_n=3
    )
    switched = spec.with_backbone_options(architecture="ResNet50")
    backbone = switched.backbone
    assert backbone.name == "resnet50"
    assert backbone.config["unfreeze_from"] == ""
    assert backbone.config["last_n"] == 0
    assert backbone.config["freeze"] == "all"
    # Other options, and a freeze mode that names no layer, are kept.
    last_n = spec.with_backbone_options(freeze="last_n")
    assert (
        last_n.with_backbone_options(architecture="ResNet50").backbone.config["freeze"]
        == "last_n"
    )
    # Same architecture: nothing reset; explicit options win.
    same = spec.with_backbone_options(architecture="VGG16")
    assert same.backbone.config["unfreeze_from"] == "block5_conv1"
    assert same.backbone.name == "vgg16"
    explicit = spec.with_backbone_options(
        architecture="ResNet50", unfreeze_from="conv5_block1_1_conv"
    )
    assert explicit.backbone.config["unfreeze_from"] == "conv5_block1_1_conv"


def test_switching_architecture_keeps_a_typed_name_and_stays_unique():
    spec = preset("vgg16-cifar10-transfer")
    typed = replace(spec, layers=(spec.layers[0].renamed("base"), *spec.layers[1:]))
    assert typed.with_backbone_options(architecture="ResNet50").backbone.name == "base"
    taken = replace(
        spec,
        layers=(
            spec.layers[0].renamed("vgg16_2"),
            LayerSpec.create("Flatten", "resnet50"),
            *spec.layers[2:],
        ),
    )
    assert (
        taken.with_backbone_options(architecture="ResNet50").backbone.name
        == "resnet50_1"
    )


def test_a_fresh_backbone_is_named_after_its_architecture():
    from core.document import ProjectDocument

    stack = ProjectDocument()
    layer = stack.new_layer("Backbone", {"architecture": "MobileNetV2"})
    assert layer.name == "mobilenetv2"


def test_table_key_names_the_table_a_summary_needs():
    spec = preset("vgg16-cifar10-transfer")
    assert backbone_table.table_key(spec) == ("VGG16", 32, 32)
    resized = spec.with_backbone_options(resize_to=[48, 48])
    assert backbone_table.table_key(resized) == ("VGG16", 48, 48)
    assert backbone_table.table_key(preset("shapes-starter")) is None
    too_small = replace(spec, input=InputSpec(16, 16, 3))
    assert backbone_table.table_key(too_small) is None  # the summary says why
