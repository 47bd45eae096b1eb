"""TrainingConfig: what a run does, as the tutorials set it up by hand.

Plain data (no Keras import) so the GUI can edit and validate it instantly;
``core.training.engine`` turns it into an optimizer and callbacks.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

from core.errors import ProjectFormatError

OPTIMIZERS = ("adam", "sgd", "rmsprop", "adamw")
SCHEDULES = ("none", "plateau", "cosine")
MONITORS = ("val_loss", "val_accuracy", "loss", "accuracy")
FINE_TUNE_FREEZE = ("from_layer", "last_n", "none")


@dataclass(frozen=True)
class TrainingConfig:
    """Optimizer, schedule, batch/epochs, and the callbacks a user can switch on.

    Loss is not configured: it follows from the classifier head (one sigmoid unit:
    binary cross-entropy; softmax: sparse categorical cross-entropy).

    ``fine_tune_*`` is phase 2 of transfer learning, used only when the model
    starts with a backbone: after ``epochs`` epochs of training the head (the
    backbone frozen as its spec says), the backbone is unfrozen
    (``fine_tune_freeze``: ``from_layer`` ``fine_tune_from``, empty meaning the
    architecture's top block; ``last_n`` ``fine_tune_last_n`` layers; or
    ``none`` frozen, BatchNormalization excepted) and training continues for
    ``fine_tune_epochs`` more epochs at ``learning_rate * fine_tune_lr_factor``.
    """

    optimizer: str = "adam"
    learning_rate: float = 1e-3
    momentum: float = 0.9
    nesterov: bool = False
    weight_decay: float = 0.004
    schedule: str = "none"
    batch_size: int = 32
    epochs: int = 10
    seed: int = 0
    cache_data: bool = True  # decoded images kept in RAM (while under a quarter)
    class_weights: bool = False
    early_stopping: bool = False
    early_stopping_monitor: str = "val_loss"
    patience: int = 3
    restore_best_weights: bool = True
    checkpoint: bool = True
    checkpoint_monitor: str = "val_accuracy"
    backup_and_restore: bool = True
    csv_logger: bool = True
    tensorboard: bool = False
    mixed_precision: bool = False
    fine_tune: bool = False
    fine_tune_epochs: int = 5
    fine_tune_lr_factor: float = 0.1
    fine_tune_freeze: str = "from_layer"
    fine_tune_from: str = ""
    fine_tune_last_n: int = 0

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
        """``(field, reason)`` for every invalid setting."""
        out = []
        if self.optimizer not in OPTIMIZERS:
            out.append(("optimizer", f"must be one of {', '.join(OPTIMIZERS)}"))
        if not 0 < self.learning_rate < 10:
            out.append(("learning_rate", "must be between 0 and 10, e.g. 0.001"))
        if not 0 <= self.momentum < 1:
            out.append(("momentum", "must be in [0, 1)"))
        if not (math.isfinite(self.weight_decay) and self.weight_decay >= 0):
            out.append(("weight_decay", "must be a finite number, 0 or more"))
        if self.schedule not in SCHEDULES:
            out.append(("schedule", f"must be one of {', '.join(SCHEDULES)}"))
        if self.batch_size < 1:
            out.append(("batch_size", "must be at least 1"))
        if self.epochs < 1:
            out.append(("epochs", "must be at least 1"))
        if self.patience < 0:
            out.append(("patience", "cannot be negative"))
        if self.fine_tune_epochs < 1:
            out.append(("fine_tune_epochs", "must be at least 1"))
        if not 0 < self.fine_tune_lr_factor <= 1:
            out.append(("fine_tune_lr_factor", "must be in (0, 1], e.g. 0.1"))
        if self.fine_tune_freeze not in FINE_TUNE_FREEZE:
            out.append(
                ("fine_tune_freeze", f"must be one of {', '.join(FINE_TUNE_FREEZE)}")
            )
        if self.fine_tune_last_n < 0:
            out.append(("fine_tune_last_n", "cannot be negative"))
        for name in ("early_stopping_monitor", "checkpoint_monitor"):
            if getattr(self, name) not in MONITORS:
                out.append((name, f"must be one of {', '.join(MONITORS)}"))
        return out

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any, where: str = "training") -> TrainingConfig:
        """Parse a project's training section; ProjectFormatError names the field."""
        if not isinstance(data, Mapping):
            raise ProjectFormatError(where, "missing or not an object")
        defaults = cls().to_dict()
        for key, value in data.items():
            if key not in defaults:
                raise ProjectFormatError(f"{where}.{key}", "unknown setting")
            expected = type(defaults[key])
            ok = isinstance(value, expected) and not (
                isinstance(value, bool) and expected is not bool
            )
            if (
                expected is float
                and isinstance(value, int)
                and not isinstance(value, bool)
            ):
                ok = True
            if not ok:
                raise ProjectFormatError(f"{where}.{key}", f"wrong type: {value!r}")
        config = cls(**{**defaults, **data})
        problems = config.problems()
        if problems:
            raise ProjectFormatError(f"{where}.{problems[0][0]}", problems[0][1])
        return config
