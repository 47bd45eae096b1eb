"""Pre-flight: what would make a training run fail, or crash the machine, at once.

The Training page shows these problems before Start and refuses Start with
them; ``run_session`` raises the same ``PreflightError`` before it builds
anything, so a script, the command line and the app are refused alike. Each
problem is said twice (``Wording``): the app's words name its pages ("on the
Model page"), the command line's the project file's entries and options
(``PreflightError.for_command_line``). Everything here is pure Python (the
summary, the memory estimate), so the page can ask on every edit.

Example:
    >>> problems = preflight(preset("cats-vs-dogs-small"), shapes, TrainingConfig())
    >>> problems[0]  # doctest: +SKIP
    'The model classifies 2 classes but shapes has 6: ...'
"""

from __future__ import annotations

from typing import NamedTuple

from core.backbone_table import backbone_table, table_key
from core.backbones import WEIGHTS_NONE, freeze_problem
from core.data.dataset import Dataset
from core.errors import WorkbenchError
from core.setting_fields import REQUIREMENTS
from core.spec import ModelSpec
from core.summary import TableSource, readable_bytes, summarize
from core.tensorboard_logs import tensorboard_missing
from core.training.config import TrainingConfig
from core.training.estimate import estimate_memory


class Wording(NamedTuple):
    """One problem as the app says it and as the command line says it."""

    app: str
    command_line: str

    @classmethod
    def same(cls, text: str) -> Wording:
        """A problem that names no page: the same words everywhere."""
        return cls(text, text)


class PreflightError(WorkbenchError):
    """A run refused before it began; ``problems`` lists every reason (the app's
    words), ``for_command_line()`` says them in the command line's."""

    def __init__(self, problems: list[Wording]) -> None:
        self.problems = [p.app for p in problems]
        self._command_line = refusal([p.command_line for p in problems])
        super().__init__(refusal(self.problems))

    def for_command_line(self) -> str:
        return self._command_line


def refusal(problems: list[str]) -> str:
    """The one message every caller shows for ``problems`` (sentences in a row)."""
    return " ".join(problems)


def preflight(
    spec: ModelSpec,
    dataset: Dataset | None,
    cfg: TrainingConfig,
    tables: TableSource = backbone_table,
    gpu_available: int | None = None,
) -> list[str]:
    """The problems that refuse training ``spec`` on ``dataset``, in the app's
    words; empty: go.

    ``tables`` supplies backbone layer tables (the GUI passes ``cached_only``
    so nothing is built on its thread); ``gpu_available`` is the GPU's free
    memory (``core.data.memory.free_gpu_memory()``), None without a GPU.
    """
    return [p.app for p in problems(spec, dataset, cfg, tables, gpu_available)]


def problems(
    spec: ModelSpec,
    dataset: Dataset | None,
    cfg: TrainingConfig,
    tables: TableSource = backbone_table,
    gpu_available: int | None = None,
) -> list[Wording]:
    """:func:`preflight`'s problems, each in the app's and the command line's words."""
    if dataset is None:
        return [
            Wording(
                "No dataset is loaded: load one on the Data page first.",
                "No dataset: set the project's dataset, or give --dataset "
                "NAME_OR_FOLDER.",
            )
        ]
    errors = summarize(spec, tables=tables).errors
    if errors:
        _, name, message = errors[0]
        invalid = f"The model is not valid ({name}: {message})"
        return [
            Wording(
                f"{invalid}; fix it on the Model page.",
                f"{invalid}; fix it in the project file's model (python -m core "
                "summary PROJECT lists every problem).",
            )
        ]
    found = [
        p
        for p in (
            _empty_problem(dataset),
            _random_frozen_problem(spec, cfg),
            _classes_problem(spec, dataset),
            _input_problem(spec, dataset),
            _phase_two_problem(spec, cfg, tables),
            _tensorboard_problem(cfg),
            _precision_problem(cfg),
        )
        if p
    ]
    if found:  # the memory estimate assumes a model that fits its data
        return found
    memory = _memory_problem(spec, dataset, cfg, gpu_available)
    return [memory] if memory else []


def check_settings(cfg: TrainingConfig) -> None:
    """Refuse a setting no run may use before anything is built or written.

    A value an older version recorded outside today's bounds is not refused
    (``TrainingConfig.refusals``): resuming or rerunning an old run works.

    Raises:
        WorkbenchError: naming the first such setting and why.
    """
    problems = cfg.refusals()
    if problems:
        name, reason = problems[0]
        raise WorkbenchError(f"training setting {name}: {reason}")


def check_preflight(
    spec: ModelSpec,
    dataset: Dataset | None,
    cfg: TrainingConfig,
    tables: TableSource = backbone_table,
    gpu_available: int | None = None,
) -> None:
    """Raise ``PreflightError`` with ``preflight``'s problems, if there are any."""
    found = problems(spec, dataset, cfg, tables, gpu_available)
    if found:
        raise PreflightError(found)


def _empty_problem(dataset: Dataset) -> Wording | None:
    if len(dataset.splits["train"]):
        return None
    return Wording.same(f"{dataset.name} has no training images: load data with some.")


def _random_frozen_problem(spec: ModelSpec, cfg: TrainingConfig) -> Wording | None:
    """A frozen backbone with random weights: only the head learns, from noise.

    Offline, the VGG16 transfer preset was told to use weights "none", which
    left its Freeze on "all": one epoch tested 0.110 on CIFAR-10, no warning.
    With phase 2 on, the backbone trains in its second phase: not refused.
    """
    if spec.backbone is None or cfg.fine_tune:
        return None
    config = spec.backbone.config
    if config.get("weights") != WEIGHTS_NONE or config.get("freeze", "all") != "all":
        return None
    return Wording.same(
        "The backbone is frozen with random weights (weights 'none', freeze "
        "'all'), so only the head would learn, from noise: unfreeze the backbone "
        "(freeze 'none', or fine-tune it in phase 2) or load weights ('imagenet' "
        "or a weights file)."
    )


def _classes_problem(spec: ModelSpec, dataset: Dataset) -> Wording | None:
    """The head's class count, not its units: two classes may be one sigmoid."""
    have, need = spec.head.num_classes, dataset.num_classes
    if have == need:
        return None
    differ = f"The model classifies {have} classes but {dataset.name} has {need}"
    return Wording(
        f"{differ}: set the classes to {need} on the Model page, or load data "
        f"with {have} classes.",
        f"{differ}: set model.head.num_classes to {need} in the project file, or "
        f"train on data with {have} classes (--dataset).",
    )


def _input_problem(spec: ModelSpec, dataset: Dataset) -> Wording | None:
    """Images the pipeline would have to enlarge, or whose colour would change.

    Shrinking (photos to the model's 150x150) is the usual way and passes;
    a model wider than its images, or with other channels, is almost always a
    model made for other data (a preset loaded after the data).
    """
    native = dataset.native_shape()
    if native is None:  # mixed sizes: resized to the input, as intended
        return None
    h, w, c = native
    height, width, channels = spec.input.shape
    if channels == c and height <= h and width <= w:
        return None
    differ = (
        f"The model takes {height}x{width}x{channels} images but {dataset.name}'s "
        f"are {h}x{w}x{c}"
    )
    return Wording(
        f"{differ}: set the input on the Model page to {h}x{w}x{c}, or load the "
        "data again (loading fits the model's input to it).",
        f"{differ}: set model.input in the project file to height {h}, width {w}, "
        f"channels {c}.",
    )


def _phase_two_problem(
    spec: ModelSpec, cfg: TrainingConfig, tables: TableSource
) -> Wording | None:
    """Phase 2's unfreeze setting checked against the backbone's layer names."""
    key = table_key(spec)
    if not cfg.fine_tune or spec.backbone is None or key is None:
        return None
    table = tables(*key)
    reason = freeze_problem(
        spec.backbone.config,
        cfg.fine_tune_options(),
        [row.name for row in table.rows],
        [row.class_name for row in table.rows],
    )
    if not reason:
        return None
    return Wording(
        f"Phase 2: {reason}. Change it under 'Phase 2' on the Training page.",
        f"Phase 2: {reason}. Change training.fine_tune_freeze, fine_tune_from or "
        "fine_tune_last_n in the project file.",
    )


def _tensorboard_problem(cfg: TrainingConfig) -> Wording | None:
    missing = tensorboard_missing() if cfg.tensorboard else None
    if not missing:
        return None
    where = " (training.tensorboard: false in the project file)."
    return Wording(missing, missing.removesuffix(".") + where)


def _precision_problem(cfg: TrainingConfig) -> Wording | None:
    """mixed_bfloat16 where neither a GPU nor the CPU computes it natively."""
    missing = REQUIREMENTS["bf16"]() if cfg.precision == "mixed_bfloat16" else None
    if not missing:
        return None
    return Wording(
        f"{missing} Choose float32 as the Precision on the Training page.",
        f"{missing} Set training.precision to float32 in the project file.",
    )


def _memory_problem(
    spec: ModelSpec, dataset: Dataset, cfg: TrainingConfig, gpu_available: int | None
) -> Wording | None:
    """Refused only beyond the machine; tight but possible stays a warning."""
    est = estimate_memory(
        spec,
        dataset,
        cfg.batch_size,
        cfg.optimizer,
        cache=cfg.cache_data,
        gpu_available=gpu_available,
        averaged=cfg.ema,
    )
    if not est.beyond_machine:
        return None
    has = f"{readable_bytes(est.installed)} of RAM"
    if est.gpu_available is not None:
        has += f", {readable_bytes(est.gpu_available)} free on the GPU"
    beyond = f"Memory: {est.describe()}, more than this computer has ({has}). "
    return Wording(beyond + est.advice(), beyond + est.advice(command_line=True))
