"""Fast-training optimizers and schedules (#26): linear and one-cycle
schedules, Muon, and a faster rate for the normalization layers.

All of them go through the one compile path (``core.recipe.optimizers``),
which the exported script calls too; the defaults compile what the app
compiled before the settings existed.
"""

from __future__ import annotations

import math
import threading
from dataclasses import replace

import keras
import numpy as np
import pytest

from core.data.load import open_dataset
from core.data.spec import DatasetSpec
from core.errors import WorkbenchError
from core.model_builder import build_model
from core.recipe.optimizers import (
    MAIN_OPTIMIZER,
    NORM_OPTIMIZER,
    OneCycle,
    OneCycleRate,
    compile_phase,
    make_optimizer,
    norm_variables,
    optimizer_parts,
    set_step,
)
from core.training.checkpoint import ResumeState
from core.training.compile import compile_for
from core.training.config import TrainingConfig
from core.training.engine import train
from core.training.session import run_session
from tests.core.training.test_engine import data
from tests.core.training.test_resume_state import BN_SPEC, LearningRates


def bn_model(side: int = 8) -> keras.Model:
    inputs = keras.Input((side, side, 3))
    x = keras.layers.Conv2D(4, 3, name="conv")(inputs)
    x = keras.layers.BatchNormalization(name="bn")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(x))


def rate(optimizer: keras.optimizers.Optimizer, step: int) -> float:
    """The rate at ``step``: the one cycle ``OneCycleRate`` sets, or the schedule's."""
    schedule = getattr(optimizer, "one_cycle", optimizer._learning_rate)
    return float(schedule(step))


def test_linear_falls_in_a_straight_line_to_zero_in_each_phase():
    cfg = TrainingConfig(
        schedule="linear",
        learning_rate=0.1,
        epochs=4,
        fine_tune_epochs=2,
        fine_tune_lr_factor=0.1,
    )
    one = make_optimizer(cfg.to_dict(), 5)  # 20 steps
    assert isinstance(one._learning_rate, keras.optimizers.schedules.PolynomialDecay)
    assert [rate(one, s) for s in (0, 5, 10, 20, 25)] == pytest.approx(
        [0.1, 0.075, 0.05, 0.0, 0.0]
    )
    two = make_optimizer(cfg.to_dict(), 5, phase=2)  # its own 10 steps
    assert [rate(two, s) for s in (0, 5, 10)] == pytest.approx([0.01, 0.005, 0.0])


def test_one_cycle_climbs_over_the_warm_up_then_falls_to_zero_in_each_phase():
    cfg = TrainingConfig(
        schedule="one_cycle",
        learning_rate=0.4,
        warmup=0.25,
        epochs=4,
        fine_tune_epochs=2,
        fine_tune_lr_factor=0.5,
    )
    one = make_optimizer(cfg.to_dict(), 5)  # 20 steps, 5 climbing
    assert isinstance(one.one_cycle, OneCycle)
    assert [rate(one, s) for s in (0, 1, 5, 10, 19, 20, 30)] == pytest.approx(
        [0.0, 0.08, 0.4, 0.4 * 10 / 15, 0.4 / 15, 0.0, 0.0]
    )
    two = make_optimizer(cfg.to_dict(), 4, phase=2)  # 8 steps, 2 climbing
    assert [rate(two, s) for s in (0, 1, 2, 5, 8)] == pytest.approx(
        [0.0, 0.1, 0.2, 0.1, 0.0]
    )
    # Without warm-up it is the linear schedule, a Keras built-in.
    flat = make_optimizer(replace(cfg, warmup=0.0).to_dict(), 5)
    assert isinstance(flat._learning_rate, keras.optimizers.schedules.PolynomialDecay)


class RatesApplied(keras.callbacks.Callback):
    """Each part's rate as the step about to run applies it."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[dict[str, float]] = []

    def on_train_batch_begin(self, batch, logs=None):
        self.seen.append(
            {
                p.name: float(p.learning_rate)
                for p in optimizer_parts(self.model.optimizer)
            }
        )


def test_one_cycle_rate_sets_each_part_s_rate_before_each_step():
    """The triangle at the step about to run, each part at its own peak; the
    optimizer's rate itself is a plain float variable (saved as a float)."""
    model = bn_model()
    cfg = TrainingConfig(
        schedule="one_cycle", warmup=0.25, learning_rate=0.4, norm_lr_factor=2.0
    )
    compile_for(model, replace(cfg, epochs=2), 4)  # 8 steps, 2 climbing
    seen = RatesApplied()
    x, y = np.zeros((32, 8, 8, 3), "float32"), np.arange(32) % 3
    model.fit(x, y, batch_size=8, epochs=2, verbose=0, callbacks=[OneCycleRate(), seen])
    triangle = [0.0, 0.2, *(0.4 * k / 6 for k in range(6, 0, -1))]
    assert [s[MAIN_OPTIMIZER] for s in seen.seen] == pytest.approx(triangle)
    assert [s[NORM_OPTIMIZER] for s in seen.seen] == pytest.approx(
        [2 * r for r in triangle]
    )
    for part in model.optimizer.optimizers:
        assert isinstance(part._learning_rate, keras.Variable)
        assert isinstance(part.get_config()["learning_rate"], float)


def test_the_defaults_compile_what_they_compiled_before_these_settings():
    """The optimizers as the compile path built them on 141c3f0."""
    schedules = keras.optimizers.schedules
    cosine = schedules.CosineDecay(0.0, 18, warmup_target=1e-3, warmup_steps=2)
    before = {
        "adam": keras.optimizers.Adam(1e-3),
        "sgd": keras.optimizers.SGD(1e-3, momentum=0.9, nesterov=True),
        "rmsprop": keras.optimizers.RMSprop(1e-3),
        "adamw": keras.optimizers.AdamW(1e-3, weight_decay=0.004),
        "cosine": keras.optimizers.Adam(cosine),
    }
    settings = {
        "adam": TrainingConfig(),
        "sgd": TrainingConfig(optimizer="sgd", nesterov=True),
        "rmsprop": TrainingConfig(optimizer="rmsprop"),
        "adamw": TrainingConfig(optimizer="adamw"),
        "cosine": TrainingConfig(schedule="cosine", warmup=0.1, epochs=4),
    }
    for key, cfg in settings.items():
        model = bn_model()  # a model with norm layers: still one optimizer
        compile_for(model, cfg, 5)
        made, old = model.optimizer, before[key]
        assert type(made) is type(old), key
        assert {**made.get_config(), "name": ""} == {**old.get_config(), "name": ""}


def test_norm_layers_train_apart_at_the_scaled_rate_without_weight_decay():
    model = bn_model()
    cfg = TrainingConfig(optimizer="sgd", momentum=0.0, learning_rate=0.01)
    compile_for(model, replace(cfg, norm_lr_factor=64.0), 5)
    optimizer = model.optimizer
    assert isinstance(optimizer, keras.optimizers.MultiOptimizer)
    variables = model.trainable_variables
    optimizer.build(variables)
    before = [v.numpy() for v in variables]
    optimizer.apply([keras.ops.ones_like(v) for v in variables], variables)
    norms = {v.path for v in norm_variables(model)}
    assert norms == {"bn/gamma", "bn/beta"}
    for variable, old in zip(variables, before, strict=True):
        step = 0.64 if variable.path in norms else 0.01
        assert np.allclose(old - variable.numpy(), step), variable.path
    # AdamW's norm part decays nothing; a schedule is scaled as a whole.
    adamw = replace(cfg, optimizer="adamw", schedule="cosine", epochs=2)
    compile_for(model, replace(adamw, norm_lr_factor=10.0), 5)
    parts = {part.name: part for part in model.optimizer.optimizers}
    apart = parts.pop(NORM_OPTIMIZER)
    (main,) = parts.values()
    assert (apart.weight_decay, main.weight_decay) == (0.0, 0.004)
    for step in (0, 3, 7):
        assert rate(apart, step) == pytest.approx(10 * rate(main, step))


def test_sgd_weight_decay_shrinks_each_weight_by_rate_times_decay_but_norms():
    """Decoupled, as AdamW's: a step with zero gradients shrinks every weight
    by rate x decay; the norm layers' part (at 64x the rate) decays nothing."""
    model = bn_model()
    cfg = TrainingConfig(optimizer="sgd", learning_rate=0.5, sgd_weight_decay=0.02)
    for factor in (1.0, 64.0):
        compile_for(model, replace(cfg, norm_lr_factor=factor), 5)
        variables = model.trainable_variables
        model.optimizer.build(variables)
        before = [v.numpy() for v in variables]
        model.optimizer.apply([keras.ops.zeros_like(v) for v in variables], variables)
        norms = {v.path for v in norm_variables(model)} if factor != 1 else set()
        for variable, old in zip(variables, before, strict=True):
            kept = 1.0 if variable.path in norms else 1 - 0.5 * 0.02
            np.testing.assert_allclose(variable.numpy(), old * kept, rtol=1e-6)
    # Other optimizers never read it; SGD's AdamW-only weight_decay stays unused.
    compile_for(model, replace(cfg, sgd_weight_decay=0.0, weight_decay=0.3), 5)
    assert model.optimizer.weight_decay is None
    compile_for(model, replace(cfg, optimizer="adam"), 5)
    assert model.optimizer.weight_decay is None


def test_sgd_nesterov_trains_at_batch_1024_and_the_saved_model_loads(tmp_path):
    """Each new schedule with norm layers apart; the file opens in plain Keras
    with safe_mode (one_cycle's rate is saved as a float)."""
    rng = np.random.default_rng(0)
    y = np.arange(2048) % 3
    x = rng.uniform(0, 1, (2048, 8, 8, 3)).astype("float32")
    x[..., 0] += y[:, None, None]  # learnable
    for schedule in ("linear", "one_cycle"):
        keras.utils.set_random_seed(0)
        model = bn_model()
        cfg = TrainingConfig(
            optimizer="sgd",
            nesterov=True,
            learning_rate=0.2,
            batch_size=1024,
            schedule=schedule,
            warmup=0.25,
            epochs=2,
            norm_lr_factor=16.0,
        )
        compile_for(model, cfg, 2)
        history = model.fit(
            x, y, batch_size=1024, epochs=2, verbose=0, callbacks=[OneCycleRate()]
        ).history
        assert np.isfinite(history["loss"]).all()
        path = tmp_path / f"{schedule}.keras"
        model.save(path)
        loaded = keras.models.load_model(path, safe_mode=True)
        assert isinstance(loaded.optimizer, keras.optimizers.MultiOptimizer)
        assert int(loaded.optimizer.iterations) == 4
        assert loaded.optimizer.optimizers[0].nesterov
        np.testing.assert_allclose(loaded.predict(x[:8], verbose=0), model(x[:8]))


def test_muon_trains_a_small_model_and_the_saved_model_loads(tmp_path):
    rng = np.random.default_rng(0)
    y = np.arange(64) % 3
    x = rng.uniform(0, 1, (64, 6)).astype("float32")
    x[:, 0] += y
    inputs = keras.Input((6,))
    hidden = keras.layers.Dense(16, activation="relu", name="hidden")(inputs)
    model = keras.Model(
        inputs, keras.layers.Dense(3, activation="softmax", name="head")(hidden)
    )
    compile_phase(
        model,
        TrainingConfig(optimizer="muon", learning_rate=0.02).to_dict(),
        4,
        "sparse_categorical_crossentropy",
    )
    muon = model.optimizer
    assert isinstance(muon, keras.optimizers.Muon)
    assert muon.exclude_layers == ["^head/"]  # the output layer: AdamW's step
    assert (muon.weight_decay, muon.adam_weight_decay) == (0.004, 0.004)
    history = model.fit(x, y, batch_size=16, epochs=8, verbose=0).history
    assert history["loss"][-1] < history["loss"][0]
    kernel, head = model.get_layer("hidden").kernel, model.get_layer("head").kernel
    assert not muon._should_use_adamw(kernel)
    assert muon._should_use_adamw(head)
    model.save(tmp_path / "muon.keras")
    loaded = keras.models.load_model(tmp_path / "muon.keras", safe_mode=True)
    assert isinstance(loaded.optimizer, keras.optimizers.Muon)
    np.testing.assert_allclose(loaded.predict(x[:4], verbose=0), model(x[:4]))


def test_old_projects_load_with_one_rate_for_every_weight():
    old = TrainingConfig().to_dict()
    del old["norm_lr_factor"]
    assert TrainingConfig.from_dict(old).norm_lr_factor == 1.0
    assert ("norm_lr_factor", "must be between 0.01 and 100, e.g. 1") in (
        TrainingConfig(norm_lr_factor=0.0).problems()
    )
    with pytest.raises(ValueError, match="norm_lr_factor needs the model"):
        make_optimizer({"learning_rate": 0.1, "norm_lr_factor": 2.0}, 5)


def test_a_resume_s_new_rate_reaches_each_part_at_its_factor(tmp_path):
    cfg = TrainingConfig(epochs=4, norm_lr_factor=4.0, checkpoint=False)
    keras.utils.set_random_seed(0)
    model, cancel = build_model(BN_SPEC), threading.Event()
    train(model, data(), None, cfg, LearningRates(model, cancel), cancel, tmp_path)
    again = build_model(BN_SPEC)
    resumed = LearningRates(again)
    faster = replace(cfg, learning_rate=0.01)
    state = replace(ResumeState(), learning_rate=0.01)
    train(
        again,
        data(),
        None,
        faster,
        resumed,
        run_dir=tmp_path,
        initial_epoch=2,
        resume_state=state,
    )
    assert resumed.rates[2] == pytest.approx({"main": 0.01, "norm": 0.04})


def test_multi_worker_training_refuses_a_separate_norm_rate():
    with pytest.raises(WorkbenchError, match=r"norm_lr_factor.*multi-worker"):
        run_session(
            None,  # type: ignore[arg-type]
            dataset=None,  # type: ignore[arg-type]
            cfg=TrainingConfig(norm_lr_factor=64.0),
            strategy="multi-worker",
        )


def test_weight_averaging_reaches_both_parts():
    """Keras's SwapEMAWeights swaps a MultiOptimizer only when every part averages."""
    cfg = TrainingConfig(ema=True, ema_momentum=0.9, norm_lr_factor=4.0)
    optimizer = make_optimizer(cfg.to_dict(), 5, model=bn_model())
    assert [(p.use_ema, p.ema_momentum) for p in optimizer.optimizers] == [
        (True, 0.9),
        (True, 0.9),
    ]


def test_a_loss_scaled_multi_optimizer_resumes_in_every_part():
    """mixed_float16 wraps the optimizer in a LossScaleOptimizer."""
    model = bn_model()
    cfg = TrainingConfig(
        schedule="one_cycle", warmup=0.25, epochs=2, norm_lr_factor=8.0
    )
    scaled = keras.optimizers.LossScaleOptimizer(
        make_optimizer(cfg.to_dict(), 2, model=model)
    )
    set_step(scaled, 3)
    parts = optimizer_parts(scaled)
    assert sorted(p.name for p in parts) == sorted([MAIN_OPTIMIZER, NORM_OPTIMIZER])
    assert [int(p.iterations) for p in parts] == [3, 3]


@pytest.mark.parametrize(
    "settings",
    [
        {"optimizer": "muon", "learning_rate": 0.02},
        {"optimizer": "sgd", "nesterov": True, "norm_lr_factor": 8.0},
    ],
    ids=["muon", "norm-rate"],
)
def test_two_phase_transfer_learning_trains_both_phases_with(settings):
    # Phase 2 compiles a new optimizer for the unfrozen backbone (MobileNetV2,
    # random weights, BatchNormalization throughout): the settings must come
    # through that recompile, and the run must end.
    from tests.core.training.test_compile_history import BACKBONE_SPEC, TWO_PHASES

    data = open_dataset(DatasetSpec(name="shapes", count=60, image_size=(32, 32)))
    cfg = TrainingConfig(epochs=1, batch_size=8, **TWO_PHASES, **settings)
    done = run_session(BACKBONE_SPEC, dataset=data, cfg=cfg)
    assert done.result.epochs_run == 2
    assert all(math.isfinite(v) for v in done.result.history["loss"])
    optimizer = done.model.optimizer
    if settings["optimizer"] == "muon":
        assert isinstance(optimizer, keras.optimizers.Muon)
    else:  # the backbone's BatchNormalization stays frozen in both phases:
        # no norm variable trains, so there is nothing for a second rate
        assert isinstance(optimizer, keras.optimizers.SGD)
        assert optimizer.nesterov
