"""Pre-flight: what would make a training run fail, or crash the machine, at once.

The Training page shows these problems before Start and refuses Start with
them; ``run_session`` raises the same ``PreflightError`` before it builds
anything, so a script, the command line and the app are refused alike, with
the same words. Everything here is pure Python (the summary, the memory
estimate), so the page can ask on every edit.

Example:
    >>> problems = preflight(preset("cats-vs-dogs-small"), shapes, TrainingConfig())
    >>> problems[0]  # doctest: +SKIP
    'The model classifies 2 classes but shapes has 6: ...'
"""

from __future__ import annotations

from core.backbone_table import backbone_table, table_key
from core.backbones import WEIGHTS_NONE, freeze_problem
from core.data.dataset import Dataset
from core.errors import WorkbenchError
from core.spec import ModelSpec
from core.summary import TableSource, readable_bytes, summarize
from core.tensorboard_logs import tensorboard_missing
from core.training.config import TrainingConfig
from core.training.estimate import estimate_memory


class PreflightError(WorkbenchError):
    """A run refused before it began; ``problems`` lists every reason."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__(refusal(self.problems))


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
    """The problems that refuse training ``spec`` on ``dataset``; empty: go.

    ``tables`` supplies backbone layer tables (the GUI passes ``cached_only``
    so nothing is built on its thread); ``gpu_available`` is the GPU's free
    memory (``core.data.memory.free_gpu_memory()``), None without a GPU.
    """
    if dataset is None:
        return ["No dataset is loaded: load one on the Data page first."]
    errors = summarize(spec, tables=tables).errors
    if errors:
        _, name, message = errors[0]
        return [
            f"The model is not valid ({name}: {message}); fix it on the Model page."
        ]
    problems = [
        p
        for p in (
            _empty_problem(dataset),
            _random_frozen_problem(spec),
            _classes_problem(spec, dataset),
            _input_problem(spec, dataset),
            _phase_two_problem(spec, cfg, tables),
            tensorboard_missing() if cfg.tensorboard else None,
        )
        if p
    ]
    if problems:  # the memory estimate assumes a model that fits its data
        return problems
    memory = _memory_problem(spec, dataset, cfg, gpu_available)
    return [memory] if memory else []


def check_settings(cfg: TrainingConfig) -> None:
    """Refuse a setting out of range before anything is built or written.

    Raises:
        WorkbenchError: naming the first such setting and why.
    """
    problems = cfg.problems()
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
    problems = preflight(spec, dataset, cfg, tables, gpu_available)
    if problems:
        raise PreflightError(problems)


def _empty_problem(dataset: Dataset) -> str | None:
    if len(dataset.splits["train"]):
        return None
    return f"{dataset.name} has no training images: load data with some."


def _random_frozen_problem(spec: ModelSpec) -> str | None:
    """A frozen backbone with random weights: only the head learns, from noise.

    Offline, the VGG16 transfer preset was told to use weights "none", which
    left its Freeze on "all": one epoch tested 0.110 on CIFAR-10, no warning.
    """
    if spec.backbone is None:
        return None
    config = spec.backbone.config
    if config.get("weights") != WEIGHTS_NONE or config.get("freeze", "all") != "all":
        return None
    return (
        "The backbone is frozen with random weights (weights 'none', freeze "
        "'all'), so only the head would learn, from noise: unfreeze the backbone "
        "(freeze 'none') or load weights ('imagenet' or a weights file)."
    )


def _classes_problem(spec: ModelSpec, dataset: Dataset) -> str | None:
    """The head's class count, not its units: two classes may be one sigmoid."""
    have, need = spec.head.num_classes, dataset.num_classes
    if have == need:
        return None
    return (
        f"The model classifies {have} classes but {dataset.name} has {need}: set "
        f"the classes to {need} on the Model page, or load data with {have} "
        "classes."
    )


def _input_problem(spec: ModelSpec, dataset: Dataset) -> str | None:
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
    return (
        f"The model takes {height}x{width}x{channels} images but {dataset.name}'s "
        f"are {h}x{w}x{c}: set the input on the Model page to {h}x{w}x{c}, or load "
        "the data again (loading fits the model's input to it)."
    )


def _phase_two_problem(
    spec: ModelSpec, cfg: TrainingConfig, tables: TableSource
) -> str | None:
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
    return (
        reason and f"Phase 2: {reason}. Change it under 'Phase 2' on the Training page."
    )


def _memory_problem(
    spec: ModelSpec, dataset: Dataset, cfg: TrainingConfig, gpu_available: int | None
) -> str | None:
    """Refused only beyond the machine; tight but possible stays a warning."""
    est = estimate_memory(
        spec,
        dataset,
        cfg.batch_size,
        cfg.optimizer,
        cache=cfg.cache_data,
        gpu_available=gpu_available,
    )
    if not est.beyond_machine:
        return None
    has = f"{readable_bytes(est.installed)} of RAM"
    if est.gpu_available is not None:
        has += f", {readable_bytes(est.gpu_available)} free on the GPU"
    return f"Memory: {est.describe()}, more than this computer has ({has}). " + (
        est.advice()
    )
