"""Whether an exported file predicts as the app's model does, in figures.

An export is scored against the model it was made from on the same held-out
images (``core.inference.held_out``): the top-1 agreement and the largest
difference of probabilities. A float format (``.keras``, SavedModel, TFLite,
ONNX) computes what the app computes, so it must agree on every image and
differ by at most ``FLOAT_TOLERANCE``; anything else means the file is not the
model. An int8 model rounds by design, so it is judged by what rounding costs:
the accuracy drop overall and per class, with the paired disagreements (images
only one of the two gets right), against a threshold the user may set.

Pure numpy, no TensorFlow: the figures are testable on made-up outputs, and
the desktop may import this to show them.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from core.atomic_file import write_atomic

# Float formats compute in float32 as Keras does; 1e-4 leaves room for a
# runtime's other order of summation (measured for ONNX: 2.4e-7 on the tiny
# trained test model's 350 images, see the guide).
FLOAT_TOLERANCE = 1e-4
# How many held-out images a float format is checked on by default (the int8
# check uses the whole split: its figure is an accuracy, whose standard error
# at 1,000 images is still near 0.8 points).
FLOAT_IMAGES = 1000
VERIFY_SUFFIX = ".verify.json"


@dataclass(frozen=True)
class ClassDrop:
    """One class's accuracy with the app's model and with the int8 file."""

    name: str
    images: int
    model_accuracy: float
    export_accuracy: float

    @property
    def drop_points(self) -> float:
        return 100.0 * (self.model_accuracy - self.export_accuracy)


@dataclass(frozen=True)
class Verification:
    """The verdict on one exported file; ``status`` is passed, failed or not verified.

    ``reason`` says in one sentence why it failed or was not verified.
    """

    format: str
    status: str
    reason: str = ""
    split: str = ""
    images: int = 0
    agreement: float | None = None  # top-1 agreement with the app's model, 0-1
    max_difference: float | None = None  # largest |probability difference|
    tolerance: float | None = None  # float formats: the largest allowed
    # int8 only
    model_accuracy: float | None = None
    export_accuracy: float | None = None
    threshold_points: float | None = None
    only_model_right: int | None = None  # paired disagreements
    only_export_right: int | None = None
    per_class: tuple[ClassDrop, ...] = field(default_factory=tuple)

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    @property
    def drop_points(self) -> float | None:
        if self.model_accuracy is None or self.export_accuracy is None:
            return None
        return 100.0 * (self.model_accuracy - self.export_accuracy)

    def worst_classes(self, count: int = 3) -> list[ClassDrop]:
        """The classes that lost most, worst first (those that lost at all)."""
        lost = [c for c in self.per_class if c.drop_points > 0]
        return sorted(lost, key=lambda c: -c.drop_points)[:count]

    def to_dict(self) -> dict:
        out = asdict(self)
        out["per_class"] = [
            {**asdict(c), "drop_points": round(c.drop_points, 4)}
            for c in self.per_class
        ]
        out["drop_points"] = self.drop_points
        return out

    def lines(self) -> list[str]:
        """What the command line prints and the Export dialog shows."""
        if self.status == "not verified":
            return [f"verification   not verified: {self.reason}"]
        if self.agreement is None:  # the file did not even load or run
            return [f"verification   {self.status}", f"why            {self.reason}"]
        limit = "" if self.tolerance is None else f" (at most {self.tolerance:.0e})"
        lines = [
            f"verification   {self.status} ({self.images} {self.split} images)",
            f"agreement      {100 * self.agreement:.2f}% top-1 with the app's model",
            f"largest diff.  {self.max_difference:.2e} in a probability{limit}",
        ]
        if self.drop_points is not None:
            limit = (
                ""
                if self.threshold_points is None
                else f" (at most {self.threshold_points:g})"
            )
            lines += [
                f"accuracy       {100 * self.model_accuracy:.2f}% app model, "
                f"{100 * self.export_accuracy:.2f}% int8: "
                f"{self.drop_points:+.2f} points lost{limit}",
                f"disagreements  {self.only_model_right} right only with the app's "
                f"model, {self.only_export_right} right only with int8",
            ]
            worst = self.worst_classes()
            if worst:
                lines.append(
                    "lost most      "
                    + ", ".join(f"{c.name} {c.drop_points:.1f}" for c in worst)
                )
        if self.reason:
            lines.append(f"why            {self.reason}")
        return lines


def not_verified(fmt: str, reason: str) -> Verification:
    return Verification(fmt, "not verified", reason)


def score_float(
    fmt: str, split: str, reference: np.ndarray, exported: np.ndarray
) -> Verification:
    """A float format must agree on every image and differ by at most the tolerance."""
    agreement, difference = _agreement(reference, exported)
    reason = ""
    if agreement < 1.0:
        disagree = round((1 - agreement) * len(reference))
        reason = f"it picks another class than the app's model on {disagree} images"
    elif difference > FLOAT_TOLERANCE:
        reason = (
            f"its probabilities differ from the app's by up to {difference:.2e} "
            f"(at most {FLOAT_TOLERANCE:.0e} allowed)"
        )
    return Verification(
        fmt,
        "failed" if reason else "passed",
        reason,
        split,
        len(reference),
        agreement,
        difference,
        FLOAT_TOLERANCE,
    )


def score_int8(
    fmt: str,
    split: str,
    reference: np.ndarray,
    exported: np.ndarray,
    labels: np.ndarray,
    class_names: list[str],
    threshold_points: float | None = None,
) -> Verification:
    """An int8 model: the accuracy it loses, overall and per class.

    ``threshold_points`` is the most accuracy (in points) the user accepts to
    lose; above it the export fails, naming the classes that lost most.
    """
    agreement, difference = _agreement(reference, exported)
    labels = np.asarray(labels)
    model_right = reference.argmax(axis=1) == labels
    export_right = exported.argmax(axis=1) == labels
    per_class = tuple(
        ClassDrop(
            name,
            int((labels == k).sum()),
            float(model_right[labels == k].mean()) if (labels == k).any() else 0.0,
            float(export_right[labels == k].mean()) if (labels == k).any() else 0.0,
        )
        for k, name in enumerate(class_names)
    )
    result = Verification(
        fmt,
        "passed",
        "",
        split,
        len(labels),
        agreement,
        difference,
        None,
        float(model_right.mean()),
        float(export_right.mean()),
        threshold_points,
        int((model_right & ~export_right).sum()),
        int((export_right & ~model_right).sum()),
        per_class,
    )
    drop = result.drop_points or 0.0
    if threshold_points is not None and drop > threshold_points:
        worst = ", ".join(
            f"{c.name} ({c.drop_points:.1f})" for c in result.worst_classes()
        )
        reason = (
            f"int8 loses {drop:.2f} accuracy points, more than the "
            f"{threshold_points:g} allowed; lost most: {worst}"
        )
        return replace(result, status="failed", reason=reason)
    return result


def _agreement(reference: np.ndarray, exported: np.ndarray) -> tuple[float, float]:
    reference = np.asarray(reference, dtype=np.float64)
    exported = np.asarray(exported, dtype=np.float64).reshape(reference.shape)
    same = reference.argmax(axis=1) == exported.argmax(axis=1)
    return float(same.mean()), float(np.abs(reference - exported).max())


def verify_path(target: str | os.PathLike[str]) -> Path:
    """Where a file's verification is kept: beside it (a folder: beside the folder)."""
    target = Path(target)
    return target.with_name(target.name + VERIFY_SUFFIX)


def write_verification(target: Path, verification: Verification) -> Path:
    """``NAME.verify.json`` beside ``target``, written atomically."""
    path = verify_path(target)
    write_atomic(path, json.dumps(verification.to_dict(), indent=2) + "\n")
    return path
