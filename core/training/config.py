"""TrainingConfig: what a run does, as the tutorials set it up by hand.

Plain data (no Keras import) so the GUI can edit and validate it instantly;
``core.training.engine`` turns it into an optimizer and callbacks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

from core.errors import ProjectFormatError
from core.recipe.precision import PRECISIONS
from core.setting_fields import (
    Limits,
    read_settings,
    setting,
    settings_problems,
    settings_refusals,
)

OPTIMIZERS = ("adam", "sgd", "rmsprop", "adamw", "muon")
SCHEDULES = ("none", "plateau", "cosine", "linear", "one_cycle")
MONITORS = ("val_loss", "val_accuracy", "loss", "accuracy")
FINE_TUNE_FREEZE = ("from_layer", "last_n", "none")
# Test-time augmentation's views (core.inference.tta names them; kept here so
# the config imports no Keras).
TTA_MODES = ("none", "flip", "flip_shifts")
# The settings form's two group boxes (see core.setting_fields).
SETTINGS = "Settings"
PHASE_TWO = "Phase 2: fine-tune the backbone"
# Both weight decays (AdamW's and Muon's; SGD's) take the same amounts.
_DECAY_BOUNDS = {
    "minimum": 0.0,
    "maximum": 1.0,
    "step": 0.001,
    "decimals": 4,
    "loads": Limits(0),
}


@dataclass(frozen=True)
class TrainingConfig:
    """Optimizer, schedule, batch/epochs, and the callbacks a user can switch on.

    Loss is not configured: it follows from the classifier head (one sigmoid unit:
    binary cross-entropy; softmax: categorical cross-entropy), smoothed by
    ``label_smoothing`` (``core.training.loss``).

    ``fine_tune_*`` is phase 2 of transfer learning, used only when the model
    starts with a backbone: after ``epochs`` epochs of training the head (the
    backbone frozen as its spec says), the backbone is unfrozen
    (``fine_tune_freeze``: ``from_layer`` ``fine_tune_from``, empty meaning the
    architecture's top block; ``last_n`` ``fine_tune_last_n`` layers; or
    ``none`` frozen, BatchNormalization excepted) and training continues for
    ``fine_tune_epochs`` more epochs at ``learning_rate * fine_tune_lr_factor``.

    Every field carries its form metadata (``core.setting_fields``): label,
    help, group, range and enable rule, in the order the form shows them.
    """

    optimizer: str = setting(
        "adam",
        label="Optimizer",
        help="adam: a safe default; sgd: momentum SGD, what fast large-batch "
        "recipes use; rmsprop: as the tutorials use it; adamw: Adam with "
        "decoupled weight decay; muon: orthogonalised updates for the conv and "
        "dense layers (the output layer takes an AdamW step)",
        choices=OPTIMIZERS,
        group=SETTINGS,
    )
    learning_rate: float = setting(
        1e-3,
        label="Learning rate",
        group=SETTINGS,
        minimum=0.000001,
        maximum=1.0,
        step=0.0001,
        decimals=6,
        loads=Limits(0, 10, low_open=True, high_open=True),
    )
    momentum: float = setting(
        0.9,
        label="Momentum",
        help="SGD momentum (the tutorials use 0.9)",
        group=SETTINGS,
        row="momentum",
        minimum=0.0,
        maximum=0.999,
        step=0.05,
        decimals=3,
        loads=Limits(0, 1, high_open=True),
        used_when=("optimizer", "sgd"),
    )
    nesterov: bool = setting(
        False,
        label="Nesterov",
        help="Nesterov momentum: the gradient is taken a step ahead along the "
        "momentum, steadier at large learning rates and batches",
        group=SETTINGS,
        row="momentum",
        style="check",
        used_when=("optimizer", "sgd"),
    )
    sgd_weight_decay: float = setting(
        0.0,
        label="SGD weight decay",
        help="SGD's decoupled weight decay: each step shrinks the weights by this "
        "times the learning rate, which keeps a large rate effective behind "
        "BatchNorm; 0 (the default) is plain SGD",
        group=SETTINGS,
        row="momentum",
        style="bare",
        prefix="decay ",
        used_when=("optimizer", "sgd"),
        **_DECAY_BOUNDS,
    )
    weight_decay: float = setting(
        0.004,
        label="Weight decay",
        help="AdamW's and Muon's decoupled weight decay: each step shrinks the "
        "weights by this times the learning rate",
        group=SETTINGS,
        used_when=("optimizer", ("adamw", "muon")),
        **_DECAY_BOUNDS,
    )
    schedule: str = setting(
        "none",
        label="Schedule",
        help="plateau: ReduceLROnPlateau on the validation loss; "
        "cosine: cosine decay over the whole run; linear: a straight line down "
        "to 0 over the run; one_cycle: up from 0 over the warm-up, then a "
        "straight line down to 0 (airbench's schedule)",
        choices=SCHEDULES,
        group=SETTINGS,
    )
    warmup: float = setting(
        0.0,
        label="Warm-up",
        help="cosine, one_cycle: the share of each phase's steps over which the "
        "rate climbs from 0 to the learning rate before it decays, which steadies "
        "the first steps of a high rate; cosine often takes 0.05 (5%), one_cycle "
        "0.2-0.25; 0 starts at full rate",
        group=SETTINGS,
        minimum=0.0,
        maximum=0.5,
        step=0.05,
        decimals=2,
        used_when=("schedule", ("cosine", "one_cycle")),
    )
    label_smoothing: float = setting(
        0.0,
        label="Label smoothing",
        help="Softens the targets the loss aims at, against overconfidence: with "
        "smoothing s and k classes the true class's target is 1 - s + s/k and "
        "every other class's s/k (Keras's label_smoothing); 0 trains on hard labels",
        group=SETTINGS,
        minimum=0.0,
        maximum=0.5,
        step=0.05,
        decimals=2,
    )
    batch_size: int = setting(
        32,
        label="Batch size",
        group=SETTINGS,
        minimum=1,
        maximum=4096,
        loads=Limits(1),
    )
    epochs: int = setting(
        10,
        label="Epochs",
        group=SETTINGS,
        minimum=1,
        maximum=10_000,
        loads=Limits(1),
    )
    seed: int = setting(
        0,
        label="Seed",
        help="Weights, shuffling and augmentation repeat for a seed",
        group=SETTINGS,
        minimum=0,
        maximum=2**31 - 1,
        loads=Limits(),
    )
    early_stopping: bool = setting(
        False, label="Early stopping", group=SETTINGS, row="stopping", style="check"
    )
    restore_best_weights: bool = setting(
        True,
        label="restore best weights",
        group=SETTINGS,
        row="stopping",
        style="check",
        used_when=("early_stopping", True),
    )
    patience: int = setting(
        3,
        label="Patience",
        help="Epochs without improvement before stopping",
        group=SETTINGS,
        row="watch",
        style="bare",
        indent=20,
        prefix="patience ",
        minimum=0,
        maximum=1000,
        used_when=("early_stopping", True),
        loads=Limits(0),
    )
    early_stopping_monitor: str = setting(
        "val_loss",
        label="Early stopping monitor",
        choices=MONITORS,
        group=SETTINGS,
        row="watch",
        style="bare",
        used_when=("early_stopping", True),
    )
    checkpoint: bool = setting(
        True,
        label="Keep the best model by",
        help="On: the run's model is the epoch with the best monitored figure; "
        "off: the final epoch's (with weight averaging, the final average), "
        "steadier than a pick by a noisy validation figure",
        group=SETTINGS,
        row="best",
        style="check",
    )
    checkpoint_monitor: str = setting(
        "val_accuracy",
        label="Checkpoint monitor",
        choices=MONITORS,
        group=SETTINGS,
        row="best",
        style="bare",
        used_when=("checkpoint", True),
    )
    cache_data: bool = setting(
        True,
        label="Cache images in memory",
        help="Keep decoded images in RAM after the first epoch (skipped by itself "
        "when they would take over a quarter of it); off reads them from disk "
        "every epoch",
        group=SETTINGS,
        style="check",
    )
    class_weights: bool = setting(
        False, label="Balance classes with class weights", group=SETTINGS, style="check"
    )
    backup_and_restore: bool = setting(
        True,
        label="Resume after a crash (BackupAndRestore)",
        group=SETTINGS,
        style="check",
    )
    csv_logger: bool = setting(
        True, label="History CSV in the run folder", group=SETTINGS, style="check"
    )
    tensorboard: bool = setting(
        False,
        label="TensorBoard logs in the run folder",
        group=SETTINGS,
        style="check",
        needs="tensorboard",
    )
    precision: str = setting(
        "float32",
        label="Precision",
        help="float32 computes in 32 bits (the default); the mixed choices compute "
        "in 16 bits with float32 weights, which pays on a GPU (bfloat16 also on a "
        "CPU with bfloat16 instructions); without a GPU mixed_float16 runs float32",
        choices=PRECISIONS,
        choice_needs=(("mixed_float16", "gpu"), ("mixed_bfloat16", "bf16")),
        group=SETTINGS,
    )
    jit_compile: bool = setting(
        False,
        label="Compile each step with XLA",
        help="Fuses each training step into one XLA program; the first epoch "
        "compiles it (again for a smaller last batch), and on a CPU it measured no "
        "faster (docs/benchmarks.md); off leaves it to Keras: XLA on one GPU only",
        group=SETTINGS,
        style="check",
    )
    ema: bool = setting(
        False,
        label="Average the weights (EMA)",
        help="Validation, the kept models, test figures and exports use an "
        "exponential moving average of the weights, which is steadier than the "
        "last step's; BatchNorm's running statistics are not averaged (they stay "
        "the last steps'), and multi-worker training refuses it",
        group=SETTINGS,
        row="ema",
        style="check",
    )
    ema_momentum: float = setting(
        0.99,
        label="EMA momentum",
        help="Each step keeps this share of the average: 0.99 averages about the "
        "last 100 steps, 0.999 the last 1000 (for long runs)",
        group=SETTINGS,
        row="ema",
        style="bare",
        prefix="momentum ",
        minimum=0.9,
        maximum=0.9999,
        step=0.001,
        decimals=4,
        loads=Limits(0, 1, high_open=True),
        used_when=("ema", True),
    )
    norm_lr_factor: float = setting(
        1.0,
        label="Norm layers' LR factor",
        help="BatchNormalization and LayerNormalization scales and offsets train "
        "at the learning rate times this and without weight decay (airbench "
        "trains BatchNorm biases 64 times faster); 1 trains every weight alike",
        group=SETTINGS,
        minimum=0.01,
        maximum=100.0,
        step=1.0,
        decimals=2,
        loads=Limits(0, low_open=True),
    )
    tta: str = setting(
        "none",
        label="Test-time augmentation",
        help="Test figures and predictions average the model's probabilities over "
        "views of each image: flip adds its mirror image (about +0.5 point, twice "
        "the time), flip_shifts also the image moved 2 pixels each way (6 views)",
        choices=TTA_MODES,
        group=SETTINGS,
    )
    fine_tune: bool = setting(
        False,
        label=PHASE_TWO,
        help="After the epochs above, unfreeze part of the backbone and train on at "
        "a lower learning rate, in the same run",
        group=PHASE_TWO,
        style="group",
    )
    fine_tune_epochs: int = setting(
        5,
        label="More epochs",
        help="Epochs of phase 2, after the epochs above",
        group=PHASE_TWO,
        minimum=1,
        maximum=10_000,
        loads=Limits(1),
    )
    fine_tune_lr_factor: float = setting(
        0.1,
        label="LR factor",
        help="Phase 2 trains at the learning rate times this (e.g. 0.1): small "
        "steps keep the pretrained features",
        group=PHASE_TWO,
        minimum=0.0001,
        maximum=1.0,
        step=0.05,
        decimals=4,
        loads=Limits(0, 1, low_open=True),
    )
    fine_tune_freeze: str = setting(
        "from_layer",
        label="Unfreeze",
        help="from_layer: unfreeze from the layer below on; last_n: the last N "
        "layers; none: the whole backbone (BatchNormalization stays frozen)",
        choices=FINE_TUNE_FREEZE,
        group=PHASE_TWO,
    )
    fine_tune_from: str = setting(
        "",
        label="From layer",
        help="The first backbone layer phase 2 trains; empty: the architecture's "
        "top block",
        group=PHASE_TWO,
        placeholder="top block (e.g. block5_conv1)",
        used_when=("fine_tune_freeze", "from_layer"),
    )
    fine_tune_last_n: int = setting(
        0,
        label="Last N",
        help="How many of the last layers phase 2 trains",
        group=PHASE_TWO,
        minimum=0,
        maximum=10_000,
        used_when=("fine_tune_freeze", "last_n"),
        loads=Limits(0),
    )

    def fine_tune_options(self) -> dict[str, Any]:
        """Phase 2's freezing as backbone options (``core.backbone_builder``)."""
        return {
            "freeze": self.fine_tune_freeze,
            "unfreeze_from": self.fine_tune_from,
            "last_n": self.fine_tune_last_n,
        }

    def phase_two(self) -> TrainingConfig:
        """The settings phase 2 compiles with: the lower rate over its epochs."""
        return replace(
            self,
            learning_rate=self.learning_rate * self.fine_tune_lr_factor,
            epochs=self.fine_tune_epochs,
        )

    def problems(self) -> list[tuple[str, str]]:
        """``(field, reason)`` for every setting outside its declared bounds.

        What a new edit is refused for. A config read from an older project
        or run may carry such a value; it is kept and flagged, not refused
        (``refusals``).
        """
        return settings_problems(self)

    def refusals(self) -> list[tuple[str, str]]:
        """``(field, reason)`` for every setting no run may use, recorded or not."""
        return settings_refusals(self)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any, where: str = "training") -> TrainingConfig:
        """Parse a project's or run's training section.

        A value outside today's bounds but inside what older versions accepted
        loads (``problems()`` flags it), so an old run can still be resumed.
        ``mixed_precision``, the switch ``precision`` replaced, is read on load
        only (``_without_mixed_precision``); new files never hold it.

        Raises:
            ProjectFormatError: naming the field of a refused value.
        """
        data = _without_mixed_precision(data, where)
        return cls(**read_settings(cls, data, where))


def _without_mixed_precision(data: Any, where: str) -> Any:
    """``data`` with the old ``mixed_precision`` switch mapped into ``precision``.

    The switch ("Mixed precision (GPU only)") meant mixed float16 on a GPU and
    float32 on a CPU, which is what ``mixed_float16`` does
    (``core.recipe.precision.policy_for``), so true becomes that and an old
    project computes what it always did. A ``precision`` beside it wins.

    Raises:
        ProjectFormatError: a switch that is not true or false.
    """
    if not isinstance(data, Mapping) or "mixed_precision" not in data:
        return data
    out = dict(data)
    switch = out.pop("mixed_precision")
    if not isinstance(switch, bool):
        raise ProjectFormatError(f"{where}.mixed_precision", f"wrong type: {switch!r}")
    if switch:
        out.setdefault("precision", "mixed_float16")
    return out
