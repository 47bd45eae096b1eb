"""The compile path: what each optimizer and schedule setting compiles to.

``core.recipe.optimizers`` takes plain values (the exported script's settings
as data); ``core.training.compile.compile_for`` gives it a config's.
"""

from __future__ import annotations

import ast
from pathlib import Path

import keras
import pytest

from core.recipe import optimizers
from core.recipe.optimizers import compile_phase, make_loss, make_optimizer
from core.training.compile import compile_for
from core.training.config import TrainingConfig


def tiny(units: int = 3) -> keras.Model:
    inputs = keras.Input((4,))
    return keras.Model(inputs, keras.layers.Dense(units, activation="softmax")(inputs))


def test_each_optimizer_and_schedule_is_what_the_config_names():
    sgd = make_optimizer(
        TrainingConfig(optimizer="sgd", momentum=0.8, nesterov=True).to_dict(), 5
    )
    assert isinstance(sgd, keras.optimizers.SGD)
    assert (sgd.momentum, sgd.nesterov) == (0.8, True)
    rms = make_optimizer(TrainingConfig(optimizer="rmsprop").to_dict(), 5)
    assert isinstance(rms, keras.optimizers.RMSprop)
    assert rms.momentum == 0.0  # Keras's (and the tutorials') RMSprop
    adamw = make_optimizer(
        TrainingConfig(optimizer="adamw", weight_decay=0.01).to_dict(), 5
    )
    assert isinstance(adamw, keras.optimizers.AdamW)
    assert adamw.weight_decay == 0.01
    cosine = make_optimizer(TrainingConfig(schedule="cosine", epochs=4).to_dict(), 5)
    schedule = cosine._learning_rate
    assert isinstance(schedule, keras.optimizers.schedules.CosineDecay)
    assert schedule.decay_steps == 20  # the whole run: epochs x steps
    assert float(schedule(20)) == pytest.approx(0.0)
    plateau = make_optimizer(TrainingConfig(schedule="plateau").to_dict(), 5)
    assert float(plateau.learning_rate) == pytest.approx(1e-3)  # a callback's job


def test_phase_two_trains_its_own_epochs_at_the_lower_rate():
    cfg = TrainingConfig(
        schedule="cosine", epochs=4, fine_tune_epochs=2, fine_tune_lr_factor=0.1
    )
    schedule = make_optimizer(cfg.to_dict(), 5, phase=2)._learning_rate
    assert schedule.decay_steps == 10
    assert float(schedule(0)) == pytest.approx(1e-4)
    with pytest.raises(ValueError, match="phase"):
        make_optimizer(cfg.to_dict(), 5, phase=3)


def test_plain_values_are_enough_and_unknown_optimizers_are_refused():
    settings = {"optimizer": "adam", "learning_rate": 0.01}
    assert float(make_optimizer(settings, 1).learning_rate) == pytest.approx(0.01)
    with pytest.raises(ValueError, match="lion"):
        make_optimizer({"optimizer": "lion", "learning_rate": 0.01}, 1)


def test_a_serialized_loss_compiles_as_keras_s_own_loss():
    smoothed = {
        "class_name": "CategoricalCrossentropy",
        "config": {"label_smoothing": 0.1},
    }
    loss = make_loss(smoothed)
    assert isinstance(loss, keras.losses.CategoricalCrossentropy)
    assert loss.label_smoothing == 0.1
    assert make_loss("sparse_categorical_crossentropy") == (
        "sparse_categorical_crossentropy"
    )
    model = tiny()
    compile_phase(model, {"learning_rate": 0.01}, 3, smoothed)
    assert isinstance(model.optimizer, keras.optimizers.Adam)
    assert isinstance(model.loss, keras.losses.CategoricalCrossentropy)


def test_compile_for_takes_the_loss_from_the_head_and_the_labels():
    model = tiny()
    compile_for(model, TrainingConfig(optimizer="sgd"), 4)
    assert model.loss == "sparse_categorical_crossentropy"
    assert isinstance(model.optimizer, keras.optimizers.SGD)
    compile_for(model, TrainingConfig(label_smoothing=0.2), 4, one_hot=True)
    assert model.loss.label_smoothing == 0.2
    sigmoid = tiny(units=1)
    compile_for(sigmoid, TrainingConfig(), 4, one_hot=True)
    assert sigmoid.loss == "binary_crossentropy"


def test_the_recipe_module_imports_nothing_of_the_app():
    """The exported script ships it: only Keras (and the standard library)."""
    tree = ast.parse(Path(optimizers.__file__).read_text(encoding="utf-8"))
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            roots.add((node.module or "").split(".")[0])
    assert roots <= {
        "__future__",
        "collections",
        "dataclasses",
        "re",
        "typing",
        "keras",
    }
