"""The script's training: the app's callbacks and phases around the recipe's compile.

What ``core.training.session`` does for a run, written as plain Keras over the
recipe shipped beside the script: the seed, ``compile_phase`` (the optimizer
and its schedule from the settings as data, as the app compiles), early
stopping, ReduceLROnPlateau, the best checkpoint, BackupAndRestore, the CSV and
TensorBoard logs in the output folder, balanced class weights, and with a
backbone and fine-tuning a second phase: unfreeze, recompile at the lower rate,
continue at the epoch after the first phase's last.
"""

from __future__ import annotations

import textwrap
from typing import Any

from core.augmentation.config import AugmentationConfig
from core.inference.python_export.snippets import assignment
from core.layers import WHITENING_TRAINABLE
from core.spec import ModelSpec
from core.training.best_epoch import monitor_mode
from core.training.config import TrainingConfig
from core.training.loss import loss_for, loss_source, one_hot_labels

# The settings recipe/optimizers.py reads, by the optimizer and schedule chosen.
_OPTIMIZER_KEYS = {
    "sgd": ("momentum", "nesterov"),
    "adamw": ("weight_decay",),
    "muon": ("weight_decay",),
}
_WARMING_SCHEDULES = ("cosine", "one_cycle")


def training_constants(cfg: TrainingConfig) -> str:
    """The settings every part of the script reads."""
    return f"""SEED = {cfg.seed}
BATCH_SIZE = {cfg.batch_size}
EPOCHS = {cfg.epochs}
CACHE_DATA = {cfg.cache_data}  # decoded images kept in memory after epoch 1
"""


def compile_settings(cfg: TrainingConfig, fine_tune: bool) -> dict[str, Any]:
    """The training settings ``compile_phase`` reads, as the app hands them over
    (``TrainingConfig.to_dict()``), only those of the chosen options."""
    keys = ["optimizer", "learning_rate", *_OPTIMIZER_KEYS.get(cfg.optimizer, ())]
    keys += ["schedule", *(["warmup"] if cfg.schedule in _WARMING_SCHEDULES else [])]
    if cfg.optimizer == "sgd" and cfg.sgd_weight_decay:
        keys.append("sgd_weight_decay")
    if cfg.norm_lr_factor != 1:
        keys.append("norm_lr_factor")
    if cfg.jit_compile:
        keys.append("jit_compile")
    if cfg.ema:
        keys += ["ema", "ema_momentum"]
    if fine_tune:
        keys.append("fine_tune_lr_factor")
    values = cfg.to_dict()
    return {key: values[key] for key in keys}


def training_code(
    spec: ModelSpec,
    cfg: TrainingConfig,
    aug: AugmentationConfig,
    fine_tune: list[str] | None,
) -> str:
    """``TRAINING``, ``make_callbacks`` and ``main``."""
    weighted = cfg.class_weights and not (aug.needs_one_hot and spec.head.units == 1)
    settings = compile_settings(cfg, fine_tune is not None)
    parts = [
        "# The optimizer and its schedule, compiled by the recipe as by the app;\n"
        "# main() adds the epochs.\n" + assignment("TRAINING", settings),
        _callbacks(cfg),
        _main(spec, cfg, aug, fine_tune, weighted),
    ]
    return "\n\n".join(p.strip("\n") + "\n" for p in parts)


def _callbacks(cfg: TrainingConfig) -> str:
    made = []
    if cfg.early_stopping:
        m = cfg.early_stopping_monitor
        made.append(
            f"        keras.callbacks.EarlyStopping(\n"
            f"            monitor=monitor({m!r}),\n"
            f"            mode={monitor_mode(m)!r},\n"
            f"            patience={cfg.patience},\n"
            f"            restore_best_weights={cfg.restore_best_weights},\n"
            f"        ),"
        )
    if cfg.schedule == "plateau":
        made.append(
            '        keras.callbacks.ReduceLROnPlateau(monitor=monitor("val_loss")),'
        )
    if cfg.schedule == "one_cycle":  # the recipe's rate, kept out of the files
        made.append("        OneCycleRate(),")
    if cfg.checkpoint:
        m = cfg.checkpoint_monitor
        made.append(
            f"        keras.callbacks.ModelCheckpoint(\n"
            f'            out / "best.keras",\n'
            f"            monitor=monitor({m!r}),\n"
            f"            mode={monitor_mode(m)!r},\n"
            f"            save_best_only=True,\n"
            f"        ),"
        )
    if cfg.backup_and_restore:
        made.append('        keras.callbacks.BackupAndRestore(str(out / "backup")),')
    if cfg.csv_logger:
        made.append(
            '        keras.callbacks.CSVLogger(str(out / "history.csv"), '
            "append=resumed),"
        )
    if cfg.tensorboard:
        made.append('        keras.callbacks.TensorBoard(str(out / "tensorboard")),')
    listed = "\n".join(made)
    made_list = "["
    if cfg.ema:
        made_list = (
            "AveragedWeights().placed([  # validation, early stopping and the\n"
            "        # checkpoint see the averaged weights (EMA); the backup, the raw"
        )
    return f'''def make_callbacks(out, validation):
    """The project's callbacks, writing into ``out``."""

    def monitor(name):
        # Without validation data the val_ metrics do not exist.
        return name if validation else name.removeprefix("val_")

    resumed = (out / "backup").is_dir()  # BackupAndRestore continues a killed run
    return {made_list}
{listed}
    ]{")" if cfg.ema else ""}
'''


_PHASE_ONE = """model.fit(
    train,
    validation_data=validation,
    epochs=args.epochs,
    callbacks=callbacks,
    class_weight=class_weight,
    shuffle=False,  # the tf.data pipeline shuffles, reproducibly
)
"""
_BOUNDARY = "done = history.epoch[-1] + 1 if history.epoch else args.epochs\n"


def _phase_one(cfg: TrainingConfig, two_phases: bool) -> str:
    """Phase 1's ``fit``; with two phases, ``done`` (its end) for phase 2."""
    if not two_phases:
        return textwrap.indent(_PHASE_ONE, "    ")
    if not cfg.backup_and_restore:
        return textwrap.indent("history = " + _PHASE_ONE + _BOUNDARY, "    ")
    record = 'boundary.write_text(json.dumps({"first_epoch": done}))\n'
    again = textwrap.indent("history = " + _PHASE_ONE + _BOUNDARY + record, "        ")
    return f"""    # A run killed in phase 2 resumes there: BackupAndRestore restores it
    # once the model is frozen and compiled as phase 2 has it.
    boundary = out / "phase2.json"
    if boundary.is_file() and (out / "backup").is_dir():
        done = json.loads(boundary.read_text())["first_epoch"]
    else:
{again}"""


# The precision as the app runs it (recipe/precision.py).
_PRECISION = """    gpu = bool(tf.config.list_physical_devices("GPU"))
    try:  # mixed_float16 computes in float32 without a GPU
        policy = policy_for({!r}, gpu=gpu)
    except ValueError as exc:  # mixed_bfloat16 on a CPU without bfloat16 instructions
        raise SystemExit(f"error: {{exc}}") from None
    keras.mixed_precision.set_global_policy(policy)"""


def _whitening(spec: ModelSpec) -> str:
    """The whitened convolution's kernel, from the app's sample of the images."""
    layer = spec.whitened
    if layer is None:
        return ""
    trainable = layer.config["init"] == WHITENING_TRAINABLE
    return f"""    # {layer.name!r} starts from patch whitening of a seeded sample of
    # the training images, as the app computes it (recipe/whitening.py).
    sample = batches(whitening_sample(splits["train"], SEED))
    whiten_first_conv(model, {layer.name!r}, sample, trainable={trainable})
"""


def _test(test_loss: str, tta: str) -> str:
    """The test figure: the model's, or its views' mean (``recipe/tta.py``)."""
    tested = "model" if tta == "none" else "tested"
    wrap = "" if tta == "none" else "        tested = tta_model(model, TTA)\n"
    return f"""    if len(splits["test"][1]):
{wrap}        {tested}.compile(loss={test_loss}, metrics=["accuracy"])
        print("test:", {tested}.evaluate(batches(splits["test"]), return_dict=True))
"""


_ARGUMENT = """    parser.add_argument(
        "{}",
        type=int,
        default={},
        help="{} (default: %(default)s)",
    )"""


def _main(
    spec: ModelSpec,
    cfg: TrainingConfig,
    aug: AugmentationConfig,
    fine_tune: list[str] | None,
    weighted: bool,
) -> str:
    sigmoid = spec.head.units == 1
    one_hot = one_hot_labels(spec.head.units, aug.needs_one_hot, cfg.label_smoothing)
    loss = loss_for(spec.head.units, one_hot, cfg.label_smoothing)
    options = [_ARGUMENT.format("--epochs", "EPOCHS", "training epochs")]
    if fine_tune is not None:
        options.append(
            _ARGUMENT.format(
                "--fine-tune-epochs", "FINE_TUNE_EPOCHS", "fine-tuning epochs"
            )
        )
    setup = []
    if cfg.precision != "float32":
        setup.append(_PRECISION.format(cfg.precision))
    train = ['    train = batches(splits["train"], shuffle=True)']
    if aug.any_active:
        train.append(
            "    train = augment_dataset(train, AUGMENTATION, NUM_CLASSES, SEED, "
            "BATCH_SIZE)"
        )
    if one_hot:
        column = "[:, 1:]" if sigmoid else ""
        to_one_hot = (
            f"lambda x, y: (x, tf.one_hot(tf.cast(y, tf.int32), NUM_CLASSES){column})"
        )
        if not aug.needs_one_hot:  # smoothed labels: one-hot, as the loss takes them
            train.append(f"    train = train.map({to_one_hot})")
        train.append(
            "    if validation is not None:  # labels as the loss takes them\n"
            f"        validation = validation.map(\n            {to_one_hot}\n"
            "        )"
        )
        if sigmoid and aug.needs_one_hot:  # one sigmoid unit predicts class 1
            train.append("    train = train.map(lambda x, y: (x, y[:, 1:]))")
    weights = "None"
    if weighted:
        weights = (
            'class_weights(np.bincount(splits["train"][1], '
            f"minlength={spec.head.num_classes}).tolist())"
        )
    constants = [
        f"NUM_CLASSES = {spec.head.num_classes}",
        f"LOSS = {loss_source(loss)}",
    ]
    phase_two = ""
    if fine_tune is not None:
        constants += [
            f"FINE_TUNE_EPOCHS = {cfg.fine_tune_epochs}",
            "# The backbone layers phase 2 trains, as the project sets it:",
            f"# {cfg.fine_tune_options()}",
            assignment("FINE_TUNE_UNFROZEN", fine_tune),
        ]
        phase_two = """
    # Phase 2, fine-tuning: unfreeze the backbone as the project says, recompile
    # (Keras fixes what trains at compile time) at the lower rate, and go on at
    # the epoch after phase 1's last, even when early stopping ended it sooner.
    freeze(model, FINE_TUNE_UNFROZEN)
    compile_phase(model, settings, steps, LOSS, phase=2)
    for callback in callbacks:
        if isinstance(callback, keras.callbacks.CSVLogger):
            callback.append = True  # phase 1 wrote its epochs already
    model.fit(
        train,
        validation_data=validation,
        initial_epoch=done,
        epochs=done + args.fine_tune_epochs,
        callbacks=callbacks,
        class_weight=class_weight,
        shuffle=False,
    )
"""
    plain = loss_for(spec.head.units)
    if loss != plain:  # as the app reports it: unmixed, unsmoothed, class indices
        constants.append(
            f"TEST_LOSS = {plain!r}  # plain cross-entropy on the test split"
        )
    test_loss = "LOSS" if loss == plain else "TEST_LOSS"
    if cfg.tta != "none":
        constants.append(
            f"TTA = {cfg.tta!r}  # test-time augmentation: the test figure "
            "averages its views"
        )
    option_lines = "\n".join(options)
    setup_lines = "\n".join(setup) + "\n" if setup else ""
    train_lines = "\n".join(train)
    constant_lines = "\n".join(constants)
    fine_tune_epochs = ""
    if fine_tune is not None:
        fine_tune_epochs = ', "fine_tune_epochs": args.fine_tune_epochs'
    return f'''{constant_lines}


def batches(split, shuffle=False):
    """A split's images as batches, decoded and resized as the app does them."""
    x, y = split
    return make_dataset(
        x, y, IMAGE_SIZE, LOAD_CHANNELS, BATCH_SIZE, shuffle, SEED, CACHE_DATA
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
{option_lines}
    parser.add_argument(
        "--limit", type=int, metavar="N", help="use N images of each split (a check)"
    )
    parser.add_argument(
        "--out", default=NAME + "-run", help="the folder for checkpoints, logs, model"
    )
    args = parser.parse_args()
{setup_lines}    keras.utils.set_random_seed(SEED)
    splits, class_names = load_data(args.limit)
    counts = ", ".join(f"{{s}} {{len(y)}}" for s, (_, y) in splits.items())
    print(f"{{len(class_names)}} classes; images: {{counts}}")
    validation = None
    if len(splits["validation"][1]):
        validation = batches(splits["validation"])
{train_lines}
    steps = max(1, math.ceil(len(splits["train"][1]) / BATCH_SIZE))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    model = build_model()
{_whitening(spec)}    model.summary()
    settings = {{**TRAINING, "epochs": args.epochs{fine_tune_epochs}}}
    compile_phase(model, settings, steps, LOSS)
    callbacks = make_callbacks(out, validation is not None)
    class_weight = {weights}
{_phase_one(cfg, fine_tune is not None)}{phase_two}
{_test(test_loss, cfg.tta)}    model.save(out / (NAME + ".keras"))
    print("saved", out / (NAME + ".keras"))


if __name__ == "__main__":
    main()
'''
