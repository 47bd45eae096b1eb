"""Random and mutated settings: only the project's own errors ever come out.

Hypothesis feeds project JSON (valid projects with a few values replaced,
removed or added, and plain random bytes), layer options, augmentation,
training and dataset settings to the loaders and validators a user's file or
form reaches. Each either accepts the input or raises a ``core.errors``
class, whose message the app shows as it is; any other exception would reach
the user as a traceback. What loads must also save and load back unchanged.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.augmentation.config import PRESETS as AUGMENTATION_PRESETS
from core.augmentation.config import AugmentationConfig
from core.backbones import BACKBONE_CLASS
from core.data.spec import DatasetSpec
from core.errors import ProjectFormatError, WorkbenchError
from core.layers import BACKBONE_KIND, LAYER_KINDS
from core.presets import all_presets
from core.project import Project, load_project
from core.spec import LayerSpec, ModelSpec
from core.summary import summarize
from core.training.config import TrainingConfig
from tests.core.strategies import model_specs

FUZZ = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

EDGES = (math.nan, math.inf, -math.inf, 0, -1, 0.5, 2**63, 1e-300)
scalars = st.one_of(
    st.sampled_from(EDGES),
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(-(2**70), 2**70),
    st.floats(),  # NaN and infinities included
    st.text(max_size=12),
    st.sampled_from(["", "none", "same", "relu", "VGG16", "from_layer", "shapes"]),
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def mutated(draw: st.DrawFn, value: Any) -> Any:
    """``value`` with one node replaced, dropped or given a new sibling."""
    action = draw(st.sampled_from(["replace", "drop", "add", "descend", "descend"]))
    if action == "replace" or not (isinstance(value, (dict, list)) and value):
        return draw(json_values)
    if isinstance(value, dict):
        key = draw(st.sampled_from(sorted(value)))
        if action == "drop":
            return {k: v for k, v in value.items() if k != key}
        if action == "add":
            return {**value, draw(st.text(max_size=10)): draw(json_values)}
        return {**value, key: draw(mutated(value[key]))}
    i = draw(st.integers(0, len(value) - 1))
    if action == "drop":
        return value[:i] + value[i + 1 :]
    if action == "add":
        return [*value, draw(json_values)]
    return [*value[:i], draw(mutated(value[i])), *value[i + 1 :]]


@st.composite
def several_mutations(draw: st.DrawFn, value: Any) -> Any:
    for _ in range(draw(st.integers(1, 3))):
        value = draw(mutated(value))
    return value


def valid_projects() -> st.SearchStrategy[dict]:
    """Whole projects as saved: presets and random stacks with varied settings."""
    models = st.one_of(
        st.sampled_from([p.spec for p in all_presets().values()]), model_specs()
    )
    datasets = st.sampled_from(
        [
            None,
            DatasetSpec(),
            DatasetSpec(name="cifar10", image_size=(32, 32), channels=3),
            DatasetSpec(kind="folder", name="pets", path="/data/pets", seed=3),
        ]
    )
    trainings = st.sampled_from(
        [
            TrainingConfig(),
            TrainingConfig(optimizer="sgd", schedule="cosine", early_stopping=True),
            TrainingConfig(fine_tune=True, fine_tune_from="block5_conv1"),
        ]
    )
    return st.builds(
        lambda m, d, a, t: Project("p", m, d, a, t).to_dict(),
        models,
        datasets,
        st.sampled_from(list(AUGMENTATION_PRESETS.values())),
        trainings,
    )


def accepted_or_refused(parse, data):
    """``parse(data)``, or None when it is refused the way users are told."""
    try:
        return parse(data)
    except WorkbenchError as exc:
        message = str(exc)
    assert message, "a refusal must say why"
    return None


def reloaded(project: Project) -> Project:
    return Project.from_dict(json.loads(json.dumps(project.to_dict())))


@FUZZ
@given(data=valid_projects().flatmap(several_mutations))
def test_mutated_projects_load_or_are_refused(data):
    project = accepted_or_refused(Project.from_dict, data)
    if project is not None:
        assert reloaded(project) == project
        if project.model.backbone is None:  # a backbone's table needs Keras
            summarize(project.model)  # reports problems, never raises


@FUZZ
@given(data=json_values)
def test_random_json_is_refused(data):
    accepted_or_refused(Project.from_dict, data)


@pytest.fixture(scope="module")
def project_file(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz") / "p.cnnwb.json"


@FUZZ
@given(
    content=st.one_of(
        st.binary(max_size=200),
        valid_projects()
        .flatmap(several_mutations)
        .map(lambda d: json.dumps(d).encode()),
        valid_projects()
        .map(lambda d: json.dumps(d).encode())
        .flatmap(
            lambda b: st.integers(0, len(b)).map(lambda n: b[:n])  # truncated
        ),
        st.sampled_from(
            [
                b"[" * 100_000,  # nested deeper than the parser recurses
                b'{"schema_version": ' + b"9" * 5000 + b"}",  # a huge number
                b"\xef\xbb\xbf{}",  # a UTF-8 byte-order mark
                b"NaN",
            ]
        ),
    )
)
def test_project_files_of_any_content_load_or_are_refused(content, project_file):
    project_file.write_bytes(content)
    accepted_or_refused(load_project, project_file)


KINDS = [*sorted(LAYER_KINDS), BACKBONE_CLASS]


def option_names(class_name: str) -> list[str]:
    kind = BACKBONE_KIND if class_name == BACKBONE_CLASS else LAYER_KINDS[class_name]
    return [f.name for f in kind.fields]


@st.composite
def layer_edits(draw: st.DrawFn) -> tuple[str, dict]:
    class_name = draw(st.sampled_from(KINDS))
    known = option_names(class_name)
    names = st.text(max_size=8)
    if known:
        names = st.sampled_from(known) | names
    options = draw(st.dictionaries(names, json_values, max_size=3))
    return class_name, options


@FUZZ
@given(edit=layer_edits())
def test_layer_options_are_accepted_or_refused(edit):
    class_name, options = edit
    layer = LayerSpec.create(class_name, "layer_1")
    edited = accepted_or_refused(lambda o: layer.with_options(**o), options)
    if edited is not None:
        spec = ModelSpec(layers=(edited,))
        assert ModelSpec.from_dict(json.loads(json.dumps(spec.to_dict()))) == spec
        if spec.backbone is None:
            summarize(spec)
    accepted_or_refused(lambda o: LayerSpec.create(class_name, "layer_1", o), options)


@FUZZ
@given(class_name=st.text(max_size=20) | st.sampled_from(KINDS), options=json_values)
def test_unknown_layer_kinds_and_option_shapes_are_refused(class_name, options):
    accepted_or_refused(
        lambda _: ModelSpec.from_dict(
            {
                "input": {"height": 8, "width": 8, "channels": 3},
                "layers": [{"class_name": class_name, "config": options}],
                "head": {"num_classes": 3},
            }
        ),
        None,
    )


@FUZZ
@given(
    options=st.dictionaries(st.sampled_from(option_names(BACKBONE_CLASS)), json_values)
)
def test_backbone_options_of_a_preset_are_accepted_or_refused(options):
    spec = all_presets()["vgg16-cifar10-transfer"].spec
    accepted_or_refused(lambda o: spec.with_backbone_options(**o), options)


def settings_dicts(default: dict) -> st.SearchStrategy[Any]:
    """``default`` with one setting changed, mutated, or its keys with any values."""
    one_changed = st.sampled_from(sorted(default)).flatmap(
        lambda key: json_values.map(lambda value: {**default, key: value})
    )
    return st.one_of(
        one_changed,
        several_mutations(default),
        st.dictionaries(st.sampled_from(sorted(default)), json_values),
    )


def assert_finite(settings: dict) -> None:
    """Accepted settings hold real numbers: NaN or infinity would poison training."""
    for key, value in settings.items():
        if isinstance(value, float):
            assert math.isfinite(value), key


@FUZZ
@given(
    data=settings_dicts(AugmentationConfig().to_dict())
    | st.sampled_from([c.to_dict() for c in AUGMENTATION_PRESETS.values()]).flatmap(
        several_mutations
    )
)
def test_augmentation_settings_are_accepted_or_refused(data):
    config = accepted_or_refused(AugmentationConfig.from_dict, data)
    if config is not None:
        assert_finite(config.to_dict())
        assert AugmentationConfig.from_dict(config.to_dict()) == config


@FUZZ
@given(data=settings_dicts(TrainingConfig().to_dict()))
def test_training_settings_are_accepted_or_refused(data):
    config = accepted_or_refused(TrainingConfig.from_dict, data)
    if config is not None:
        assert_finite(config.to_dict())
        assert (
            TrainingConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config
        )


@FUZZ
@given(data=settings_dicts(DatasetSpec().to_dict()))
def test_dataset_settings_are_accepted_or_refused(data):
    spec = accepted_or_refused(DatasetSpec.from_dict, data)
    if spec is not None:
        assert_finite(spec.to_dict())
        assert DatasetSpec.from_dict(json.loads(json.dumps(spec.to_dict()))) == spec


SETTINGS = (AugmentationConfig, TrainingConfig, DatasetSpec)


@pytest.mark.parametrize(
    ("cls", "key", "value"),
    [
        (cls, key, value)
        for cls in SETTINGS
        for key, default in cls().to_dict().items()
        if isinstance(default, float)
        for value in (math.nan, math.inf, -math.inf)
    ],
    ids=lambda v: getattr(v, "__name__", str(v)),
)
def test_no_setting_takes_a_number_that_is_not_finite(cls, key, value):
    with pytest.raises(ProjectFormatError, match=key):
        cls.from_dict({key: value})
