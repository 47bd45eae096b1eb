"""The model card: what an exported model is, what it saw, and how well it does.

Every model export writes ``NAME.card.md`` beside the file (``model.onnx`` ->
``model.onnx.card.md``; a SavedModel folder's beside the folder), atomically,
and ``python -m core card RUN_DIR`` prints the card of a run's model. In
Markdown, for a person who gets the file without the app:

- the model: input size and channels, classes, parameters, layers, what it
  outputs (probabilities; at a calibration temperature; over TTA views);
- the data it saw: source, split sizes, the run's data fingerprint (a short
  digest of ``config.json``'s), images the project left out or relabelled;
- the recipe: the project's training and augmentation settings;
- the test figures of the run's model: accuracy, per-class precision/recall,
  the confusion matrix as a table, the ECE and the temperature;
- the export's verification (``NAME.verify.json``, written by
  ``core.inference.verification``), or "not verified";
- the package versions it was made with, and how to load it in three lines.

Everything comes from files: the run folder's ``config.json``, ``run.json``
and figures, and the verification beside the export; a model with no run
(an imported one) says what it does not know rather than guessing.
"""

from __future__ import annotations

import hashlib
import json
import platform
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

from core.atomic_file import write_atomic
from core.calibration import Calibration, Reliability
from core.run_calibration import recorded_calibration
from core.run_model import run_model
from core.runs import Run

CARD_SUFFIX = ".card.md"
VERIFY_SUFFIX = ".verify.json"
_PACKAGES = ("cnn-workbench", "tensorflow", "keras", "numpy")
_FORMAT_PACKAGES = {"onnx": ("tf2onnx", "onnxruntime", "onnx")}


def card_path(target: str | Path) -> Path:
    """Where an export's card goes: beside it (a folder: beside the folder)."""
    target = Path(target)
    return target.with_name(target.name + CARD_SUFFIX)


def write_card(
    target: Path,
    model: Any,
    class_names: list[str],
    run: Path | None,
    key: str,
    temperature: float | None = None,
    tta: str = "none",
) -> Path:
    """``NAME.card.md`` beside the export ``target``, written atomically.

    ``model`` is the Keras model the file was made from, ``run`` the run
    folder it came from (None: an imported model), ``key`` the format,
    ``temperature`` and ``tta`` what the file carries.
    """
    text = model_card(
        model,
        class_names,
        run,
        key=key,
        target=target,
        temperature=temperature,
        tta=tta,
    )
    path = card_path(target)
    write_atomic(path, text)
    return path


def model_card(
    model: Any,
    class_names: list[str],
    run: Path | None,
    key: str | None = None,
    target: Path | None = None,
    temperature: float | None = None,
    tta: str = "none",
) -> str:
    """The card's Markdown; ``target`` None: the run's own model (``card RUN``)."""
    folder = Run(Path(run)) if run is not None else None
    config = folder.config() if folder is not None else {}
    name = target.name if target is not None else _run_title(folder)
    parts = [
        f"# Model card: {name}",
        "",
        _made_line(key, folder),
        "",
        *_model_section(model, class_names, config, key, temperature, tta),
        *_data_section(config),
        *_recipe_section(config, folder.record() if folder is not None else {}),
        *_test_section(folder, class_names, temperature if key else None, bool(key)),
        *_verification_section(target),
        *_versions_section(key),
        *_load_section(target.name if target is not None else _run_file(folder), key),
    ]
    return "\n".join(parts).rstrip() + "\n"


def _run_title(folder: Run | None) -> str:
    return "model" if folder is None else f"{folder.name} ({_run_file(folder)})"


def _run_file(folder: Run | None) -> str:
    """The file name a run's card loads: its model's (``core.run_model``)."""
    kept = run_model(folder.path) if folder is not None else None
    return kept.path.name if kept else "model.keras"


def _made_line(key: str | None, folder: Run | None) -> str:
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    what = f"Exported as {key}" if key else "The run's model"
    where = f" from run {folder.name}" if folder is not None else " (no run: imported)"
    return f"{what}{where}, {when}, by CNN Workbench."


def _model_section(
    model: Any,
    class_names: list[str],
    config: dict[str, Any],
    key: str | None,
    temperature: float | None,
    tta: str,
) -> list[str]:
    _, h, w, c = model.inputs[0].shape
    units = int(model.outputs[0].shape[-1])
    head = "one sigmoid unit" if units == 1 else f"{units}-way softmax"
    resize = (
        "any size, resized inside"
        if key in ("keras", "saved_model")
        else "exactly this size"
    )
    layers = [_layer(layer) for layer in config.get("model", {}).get("layers", [])]
    lines = [
        "## The model",
        "",
        f"- Input: {h}x{w} pixels, {c} channel{'s' if c != 1 else ''}, raw 0-255 "
        f"values ({resize if key else 'the run model takes exactly this size'})",
        f"- Classes ({len(class_names)}): {', '.join(class_names)}",
        f"- Parameters: {model.count_params():,}",
        f"- Output: class probabilities ({head})",
    ]
    if layers:
        lines.append(f"- Layers: {' -> '.join(layers)} -> head")
    if temperature is not None and key:
        lines.append(
            f"- Calibrated: the logits are divided by the temperature "
            f"{temperature:.4f} before the {head.split()[-1]}"
        )
    if tta != "none":
        from core.tta import describe

        lines.append(
            f"- Test-time augmentation: probabilities averaged over {describe(tta)}"
        )
    return [*lines, ""]


def _layer(layer: dict[str, Any]) -> str:
    """A layer as the card lists it: its class, and the choices that change what
    it computes beyond its sizes (a whitening init, GELU for ReLU)."""
    options = layer.get("config") or {}
    notes = [
        str(options[key])
        for key in ("init", "activation")
        if options.get(key) not in (None, "default", "linear")
    ]
    name = str(layer.get("class_name", "?"))
    return f"{name}({', '.join(notes)})" if notes else name


def _data_section(config: dict[str, Any]) -> list[str]:
    data = config.get("dataset")
    if not data:
        return ["## The data", "", "Not recorded: the model came without its run.", ""]
    spec = data.get("spec") or {}
    source = spec.get("path") or f"built-in dataset {data.get('name', '?')}"
    fingerprint = data.get("fingerprint") or {}
    counts = fingerprint.get("counts") or {}
    sizes = ", ".join(
        f"{split} {sum(per_class)}" for split, per_class in counts.items()
    )
    lines = [
        "## The data",
        "",
        f"- Source: {source}",
        f"- Split sizes: {sizes or 'not recorded'}",
    ]
    if fingerprint:
        digest = hashlib.sha256(
            json.dumps(fingerprint, sort_keys=True).encode()
        ).hexdigest()
        lines.append(f"- Fingerprint: sha256 {digest[:16]} (of the run's record)")
    listed = spec.get("exclusions")
    if listed:
        entries = listed.get("entries", listed) if isinstance(listed, dict) else listed
        lines.append(f"- Exclusions: {len(entries)} images left out or relabelled")
    else:
        lines.append("- Exclusions: none")
    return [*lines, ""]


def _recipe_section(config: dict[str, Any], record: dict[str, Any]) -> list[str]:
    training = config.get("training") or {}
    augmentation = config.get("augmentation") or {}
    if not training:
        return ["## The recipe", "", "Not recorded.", ""]
    lines = ["## The recipe", "", "| setting | value |", "|---|---|"]
    lines += [f"| {k} | {_cell(v)} |" for k, v in training.items()]
    lines += [f"| augmentation.{k} | {_cell(v)} |" for k, v in augmentation.items()]
    whitening = record.get("whitening")
    if isinstance(whitening, dict):  # what core.training.whitening recorded
        then = "trained on" if whitening.get("trainable") else "kept frozen"
        lines += [
            "",
            f"The first convolution ({whitening.get('layer', '?')}) started from "
            f"patch whitening of {whitening.get('sample_images', '?')} training "
            f"images, then was {then}.",
        ]
    return [*lines, ""]


def _test_section(
    folder: Run | None,
    class_names: list[str],
    temperature: float | None,
    exported: bool,
) -> list[str]:
    lines = ["## Test figures", ""]
    figures = folder.test_figures() if folder is not None else None
    if figures is None:
        lines += ["None recorded (no run, or no test split).", ""]
        if folder is None:
            return lines
        return [*lines, *_calibration_lines(folder, {}, temperature, exported)]
    scores, kind = figures
    lines.append(
        f"The run's {kind} model on the test split"
        f"{', TTA ' + scores['tta'] if scores.get('tta', 'none') != 'none' else ''}:"
    )
    lines += ["", f"- Accuracy: {scores['accuracy']:.4f}"]
    if scores.get("loss") is not None:
        lines.append(f"- Loss: {scores['loss']:.4f}")
    lines += ["", "| class | precision | recall | support |", "|---|---|---|---|"]
    lines += [
        f"| {m['name']} | {m['precision']:.4f} | {m['recall']:.4f} | {m['support']} |"
        for m in scores.get("per_class", [])
    ]
    lines += ["", "Confusion matrix (rows: true class, columns: predicted):", ""]
    lines.append("| | " + " | ".join(class_names) + " |")
    lines.append("|---" * (len(class_names) + 1) + "|")
    lines += [
        f"| {name} | " + " | ".join(str(v) for v in row) + " |"
        for name, row in zip(class_names, scores.get("confusion", []), strict=False)
    ]
    return [*lines, "", *_calibration_lines(folder, scores, temperature, exported)]


def _calibration_lines(
    folder: Run, scores: dict[str, Any], temperature: float | None, exported: bool
) -> list[str]:
    lines = ["### Calibration", ""]
    if scores.get("calibration"):
        shown = Reliability.from_dict(scores["calibration"])
        at = scores.get("temperature")
        where = f" at temperature {at:.4f}" if at else ""
        lines.append(f"- {shown.label()} on the test split{where}")
    fitted: Calibration | None = recorded_calibration(folder)
    if fitted is None:
        lines.append("- Temperature: none fitted (probabilities as trained)")
    else:
        lines.append(f"- Fitted: {fitted.summary()}")
        if not exported:
            lines.append("- The app predicts at it; an export carries it if asked")
        elif temperature is not None:
            lines.append("- This file carries the temperature")
        else:
            lines.append("- This file does not carry the temperature")
    return [*lines, ""]


def _verification_section(target: Path | None) -> list[str]:
    lines = ["## Verification", ""]
    path = None if target is None else target.with_name(target.name + VERIFY_SUFFIX)
    try:
        found = json.loads(path.read_text(encoding="utf-8")) if path else None
    except (OSError, ValueError):
        found = None
    if not isinstance(found, dict):
        return [*lines, "Not verified.", ""]
    lines.append(f"- Status: {found.get('status', '?')}")
    if found.get("images"):
        lines.append(f"- Images: {found['images']} from the {found.get('split')} split")
    if found.get("agreement") is not None:
        lines.append(f"- Top-1 agreement: {100 * found['agreement']:.2f}%")
    if found.get("max_difference") is not None:
        lines.append(f"- Largest probability difference: {found['max_difference']:.2e}")
    if found.get("drop_points") is not None:
        lines.append(f"- Accuracy lost: {found['drop_points']:+.2f} points")
    if found.get("reason"):
        lines.append(f"- Note: {found['reason']}")
    return [*lines, f"- Details: {path.name}", ""]


def _versions_section(key: str | None) -> list[str]:
    lines = ["## Package versions", "", f"- python {platform.python_version()}"]
    for name in (*_PACKAGES, *_FORMAT_PACKAGES.get(key or "", ())):
        try:
            lines.append(f"- {name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            lines.append(f"- {name} not installed")
    return [*lines, ""]


def _load_section(name: str, key: str | None) -> list[str]:
    code = {
        "saved_model": [
            "import tensorflow as tf",
            f'model = tf.saved_model.load("{name}")',
            "probabilities = model.serve(images)  # float32 0-255, any size",
        ],
        "onnx": [
            "import onnxruntime as ort",
            f'session = ort.InferenceSession("{name}")',
            "probabilities = session.run(None, {session.get_inputs()[0].name: images})",
        ],
    }.get(key or "")
    if key in ("tflite", "tflite_int8"):
        code = [
            "import tensorflow as tf  # the interpreter the export was checked with",
            f'lite = tf.lite.Interpreter("{name}"); lite.allocate_tensors()',
            "# set_tensor(input index, images), invoke(), get_tensor(output index)",
        ]
    if code is None:
        code = [
            "import keras",
            f'model = keras.models.load_model("{name}")  # safe mode, no custom code',
            "probabilities = model.predict(images)  # raw 0-255 pixels",
        ]
    return ["## How to load it", "", "```python", *code, "```", ""]


def _cell(value: Any) -> str:
    text = json.dumps(value) if isinstance(value, (dict, list)) else str(value)
    return text.replace("|", "\\|")
