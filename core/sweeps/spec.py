"""A sweep's description (SWEEP.json): how to search, how long, and what varies.

The search's own settings (``SweepSettings``) are declared with the field
system like every other settings form (``core.setting_fields``), so the GUI
builds their form and this module checks them with the same bounds. What
varies is a ``Range`` per key of ``core.sweeps.space``: a list of values, or
a minimum and maximum (with a step, or on a log scale). The file, as
docs/sweeps.md documents it::

    {
      "name": "lr-and-decay",
      "algorithm": "random",
      "trials": 8,
      "minutes": 0,
      "seed": 0,
      "vary": {
        "training.learning_rate": {"min": 0.0001, "max": 0.01, "log": true},
        "training.optimizer": {"values": ["adam", "adamw"]},
        "layers.conv2d_1.filters": {"min": 8, "max": 64, "step": 8}
      }
    }

``sweep_problems`` lists every mistake, one line each naming where it is
(``vary.training.learning_rate.max: must be from 1e-06 to at most 1``);
``parse_sweep`` raises ``SweepSpecError`` carrying them all.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from core.errors import ProjectFormatError, WorkbenchError
from core.project import Project
from core.setting_fields import read_settings, setting, setting_fields
from core.sweeps.space import NOT_SWEPT, Sweepable, sweepable_by_key

ALGORITHMS = ("random", "bayesian", "hyperband")
# Schedules that span the epochs a run starts with: a Hyperband trial that
# continues an earlier one for more epochs would not follow them.
EPOCH_SCHEDULES = ("cosine", "linear", "one_cycle")
RANGE_KEYS = ("values", "min", "max", "step", "log")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
SEARCH = "Search"


@dataclass(frozen=True)
class SweepSettings:
    """How a sweep searches and for how long; declared for the GUI's form.

    A budget of 0 is no limit; a sweep needs one of ``trials`` and
    ``minutes`` unless Hyperband, which ends by itself, searches.
    """

    algorithm: str = setting(
        "random",
        label="Search",
        help="random: each trial's settings drawn at random; bayesian: a Gaussian "
        "process proposes the settings most likely to beat the best so far; "
        "hyperband: many short trials, the best continued for more epochs",
        choices=ALGORITHMS,
        choice_needs=(("bayesian", "bayesian"),),
        needs="keras_tuner",
        group=SEARCH,
    )
    trials: int = setting(
        10,
        label="Trials",
        help="At most this many trials (failed ones count); 0: no limit",
        minimum=0,
        maximum=100_000,
        group=SEARCH,
    )
    minutes: float = setting(
        0.0,
        label="Minutes",
        help="No trial starts after the sweep has run this long (the one running "
        "then finishes); a stopped sweep's time counts; 0: no limit",
        minimum=0.0,
        maximum=1_000_000.0,
        step=10.0,
        decimals=1,
        group=SEARCH,
    )
    seed: int = setting(
        0,
        label="Search seed",
        help="The search's own draws repeat for a seed (every trial trains with "
        "the project's seed)",
        minimum=0,
        maximum=2**31 - 1,
        group=SEARCH,
    )
    max_epochs: int = setting(
        9,
        label="Max epochs",
        help="Hyperband: the epochs of its longest trials; the shortest train "
        "max_epochs / factor^k",
        minimum=1,
        maximum=10_000,
        used_when=("algorithm", "hyperband"),
        group=SEARCH,
    )
    factor: int = setting(
        3,
        label="Factor",
        help="Hyperband: each round keeps 1 in factor trials and trains them "
        "factor times longer",
        minimum=2,
        maximum=100,
        used_when=("algorithm", "hyperband"),
        group=SEARCH,
    )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


BUDGET = ("trials", "minutes")
SETTING_KEYS = tuple(f.name for f in setting_fields(SweepSettings))


@dataclass(frozen=True)
class Range:
    """What one setting takes in a sweep: ``values``, or ``minimum`` to ``maximum``.

    A range of whole numbers steps by ``step`` (1 when None); a range of
    real numbers is continuous unless it has a ``step``; ``log`` draws it
    evenly on a log scale (its minimum above 0).
    """

    key: str
    values: tuple[Any, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    step: float | None = None
    log: bool = False

    def to_dict(self) -> dict[str, Any]:
        if self.values:
            return {"values": list(self.values)}
        out: dict[str, Any] = {"min": self.minimum, "max": self.maximum}
        if self.step is not None:
            out["step"] = self.step
        if self.log:
            out["log"] = True
        return out


@dataclass(frozen=True)
class SweepSpec:
    """A whole sweep: its name (its folder's), its search and what varies."""

    name: str
    vary: tuple[Range, ...]
    settings: SweepSettings = field(default_factory=SweepSettings)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(r.key for r in self.vary)

    def to_dict(self) -> dict[str, Any]:
        """As SWEEP.json holds it (``parse_sweep`` reads it back)."""
        return {
            "name": self.name,
            **self.settings.to_dict(),
            "vary": {r.key: r.to_dict() for r in self.vary},
        }

    def search(self) -> dict[str, Any]:
        """What a continued sweep must keep: all but its budget."""
        data = self.to_dict()
        for key in BUDGET:
            data.pop(key)
        return data

    def with_budget(
        self, trials: int | None = None, minutes: float | None = None
    ) -> SweepSpec:
        """The same sweep with another budget (the command line's --trials,
        --minutes); None keeps the file's."""
        changes: dict[str, Any] = {}
        if trials is not None:
            changes["trials"] = trials
        if minutes is not None:
            changes["minutes"] = float(minutes)
        return replace(self, settings=replace(self.settings, **changes))


class SweepSpecError(WorkbenchError):
    """A SWEEP.json with mistakes; ``problems`` holds one line per mistake."""

    def __init__(self, problems: list[str], source: str = "the sweep") -> None:
        self.problems = problems
        count = f"{len(problems)} mistake{'s' if len(problems) > 1 else ''}"
        super().__init__(f"{source} has {count}: {'; '.join(problems)}")


def parse_sweep(data: Any, project: Project, name: str = "sweep") -> SweepSpec:
    """The sweep ``data`` describes for ``project``; ``name`` when it names none.

    Raises:
        SweepSpecError: listing every mistake (``sweep_problems``).
    """
    problems = sweep_problems(data, project)
    if problems:
        raise SweepSpecError(problems)
    given = {k: data[k] for k in SETTING_KEYS if k in data}
    settings = SweepSettings(**read_settings(SweepSettings, given, ""))
    available = sweepable_by_key(project.model, project.training, project.augmentation)
    vary = tuple(_range(key, raw, available[key]) for key, raw in data["vary"].items())
    return SweepSpec(data.get("name", name), vary, settings)


def load_sweep(path: str | Path, project: Project) -> SweepSpec:
    """Read and check a SWEEP.json; its name defaults to the file's stem.

    Raises:
        WorkbenchError: the file cannot be read or is not JSON.
        SweepSpecError: listing every mistake in it.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise WorkbenchError(f"{path}: no such sweep file") from None
    except IsADirectoryError:
        raise WorkbenchError(f"{path} is a folder, not a sweep file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise WorkbenchError(f"{path} cannot be read ({exc})") from None
    except ValueError as exc:
        raise WorkbenchError(f"{path} is not valid JSON ({exc})") from None
    default = path.name.removesuffix(".json") or "sweep"
    try:
        return parse_sweep(data, project, default if _NAME.match(default) else "sweep")
    except SweepSpecError as exc:
        raise SweepSpecError(exc.problems, str(path)) from None


def sweep_problems(data: Any, project: Project) -> list[str]:
    """Every mistake in a sweep's ``data`` for ``project``, one line each.

    Each line starts with where the mistake is (a key path of the JSON).
    """
    if not isinstance(data, dict):
        return ["the sweep must be a JSON object with at least a 'vary' key"]
    problems = [
        f"{key}: unknown key (known: name, {', '.join(SETTING_KEYS)}, vary)"
        for key in data
        if key not in ("name", "vary", *SETTING_KEYS)
    ]
    name = data.get("name", "sweep")
    if not isinstance(name, str) or not _NAME.match(name):
        problems.append(
            "name: must be letters, digits, '-', '_' or '.' (at most 64), e.g. "
            "lr-and-decay"
        )
    problems += _settings_problems(data)
    algorithm = data.get("algorithm", SweepSettings.algorithm)
    available = sweepable_by_key(project.model, project.training, project.augmentation)
    vary = data.get("vary")
    if not isinstance(vary, dict) or not vary:
        problems.append(
            'vary: name the settings to vary, e.g. {"training.learning_rate": '
            '{"min": 0.0001, "max": 0.01, "log": true}}'
        )
        vary = {}
    for key, raw in vary.items():
        problems += _vary_problems(key, raw, available, vary)
    if algorithm == "hyperband":
        problems += _hyperband_problems(project, vary)
    return problems


def _settings_problems(data: dict[str, Any]) -> list[str]:
    """The search's settings, each read as a project file's are (one line each),
    and whether this machine can run its algorithm (given or the default)."""
    problems, given = [], {}
    for f in setting_fields(SweepSettings):
        if f.name not in data:
            continue
        try:
            given.update(read_settings(SweepSettings, {f.name: data[f.name]}, ""))
        except ProjectFormatError as exc:
            problems.append(f"{f.name}: {exc.reason}")
    settings = SweepSettings(**given)
    algorithm = next(f for f in setting_fields(SweepSettings) if f.name == "algorithm")
    unmet = algorithm.unmet_need() or algorithm.unmet_choices().get(settings.algorithm)
    if unmet and "algorithm" not in {p.split(":")[0] for p in problems}:
        problems.append(f"algorithm: {unmet}")
    no_limit = not (settings.trials or settings.minutes)
    if no_limit and settings.algorithm != "hyperband":
        problems.append(
            "trials: give a budget: a number of trials, of minutes, or both "
            "(0 is no limit; only hyperband ends by itself)"
        )
    return problems


def _vary_problems(
    key: str, raw: Any, available: dict[str, Sweepable], vary: dict[str, Any]
) -> list[str]:
    where = f"vary.{key}"
    if key in NOT_SWEPT:
        return [f"{where}: cannot be varied: {NOT_SWEPT[key]}"]
    setting_ = available.get(key)
    if setting_ is None:
        return [
            f"{where}: not a setting this project can vary (python -m core sweep "
            "PROJECT --list names them)"
        ]
    if not isinstance(raw, dict):
        return [f'{where}: must be {{"values": [...]}} or {{"min": ..., "max": ...}}']
    problems = [
        f"{where}.{k}: unknown key (known: {', '.join(RANGE_KEYS)})"
        for k in raw
        if k not in RANGE_KEYS
    ]
    if "values" in raw:
        problems += _values_problems(where, raw, setting_)
    elif setting_.kind in ("choice", "bool"):
        example = json.dumps({"values": list(setting_.choices or (True, False))[:2]})
        problems.append(f"{where}: give its values, e.g. {example}")
    else:
        problems += _bounds_problems(where, raw, setting_)
    rule = setting_.used_when
    if rule is not None and rule[0] not in vary:
        controlling = available.get(rule[0])
        current = controlling.default if controlling else None
        wanted = rule[1] if isinstance(rule[1], tuple) else (rule[1],)
        if current not in wanted:
            problems.append(
                f"{where}: used only when {rule[0]} is "
                f"{' or '.join(map(str, wanted))} (the project's is {current}): "
                f"vary {rule[0]} too, or set it in the project"
            )
    return problems


def _values_problems(where: str, raw: dict[str, Any], setting_: Sweepable) -> list[str]:
    values = raw["values"]
    extra = [k for k in ("min", "max", "step", "log") if k in raw]
    if extra:
        return [f"{where}: give values, or min and max, not both"]
    if not isinstance(values, list) or not values:
        return [f"{where}.values: must be a list of at least one value"]
    problems = []
    for i, value in enumerate(values):
        reason = setting_.problem(value)
        if reason:
            problems.append(f"{where}.values[{i}]: {reason}, not {value!r}")
    if not problems and len({json.dumps(v) for v in values}) < len(values):
        problems.append(f"{where}.values: each value once")
    return problems


def _bounds_problems(where: str, raw: dict[str, Any], setting_: Sweepable) -> list[str]:
    problems = []
    for end in ("min", "max"):
        if end not in raw:
            problems.append(f"{where}.{end}: missing (or give values instead)")
        elif reason := setting_.problem(raw[end]):
            problems.append(f"{where}.{end}: {reason}, not {raw[end]!r}")
    if problems:
        return problems
    low, high = raw["min"], raw["max"]
    if low >= high:
        return [f"{where}: min must be below max, not {low!r} and {high!r}"]
    log, step = raw.get("log", False), raw.get("step")
    if not isinstance(log, bool):
        problems.append(f"{where}.log: must be true or false, not {log!r}")
    elif log and low <= 0:
        problems.append(f"{where}.min: a log scale needs a min above 0, not {low!r}")
    if step is not None:
        if log:
            problems.append(f"{where}: give a step or a log scale, not both")
        elif isinstance(step, bool) or not isinstance(step, (int, float)):
            problems.append(f"{where}.step: must be a number, not {step!r}")
        elif not (0 < step <= high - low) or not math.isfinite(step):
            problems.append(f"{where}.step: must be above 0 and at most max - min")
        elif setting_.kind == "int" and not float(step).is_integer():
            problems.append(f"{where}.step: must be a whole number, not {step!r}")
    return problems


def _hyperband_problems(project: Project, vary: dict[str, Any]) -> list[str]:
    """Hyperband continues trials for more epochs: what cannot be continued."""
    problems = []
    if "training.epochs" in vary:
        problems.append(
            "vary.training.epochs: hyperband sets each trial's epochs itself "
            "(up to max_epochs)"
        )
    schedule = vary.get("training.schedule")
    if isinstance(schedule, dict) and isinstance(schedule.get("values"), list):
        bad = [str(s) for s in schedule["values"] if s in EPOCH_SCHEDULES]
        where, what = "vary.training.schedule", f"the {', '.join(bad)} schedule"
    else:
        current = project.training.schedule
        bad = [current] if current in EPOCH_SCHEDULES else []
        where, what = "algorithm", f"the project's {current} schedule"
    if bad:
        problems.append(
            f"{where}: hyperband continues trials for more epochs, which {what} "
            "cannot follow (it spans the epochs a run starts with): use none or "
            "plateau, or search by random or bayesian"
        )
    if project.training.fine_tune and project.model.backbone is not None:
        problems.append(
            "algorithm: hyperband's epochs cannot be split into fine-tuning's two "
            "phases: switch phase 2 off, or search by random or bayesian"
        )
    return problems


def _range(key: str, raw: dict[str, Any], setting_: Sweepable) -> Range:
    """A checked range, its numbers as the setting's kind (8.0 -> 8 for filters)."""
    number = int if setting_.kind == "int" else float
    if "values" in raw:
        values = raw["values"]
        if setting_.kind in ("int", "float"):
            values = [number(v) for v in values]
        return Range(key, values=tuple(values))
    step = raw.get("step")
    return Range(
        key,
        minimum=number(raw["min"]),
        maximum=number(raw["max"]),
        step=None if step is None else number(step),
        log=raw.get("log", False),
    )
