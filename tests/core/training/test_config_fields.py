"""TrainingConfig's field metadata: every field described, and true to the config."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import pytest

from core.setting_fields import setting, setting_fields
from core.training.config import TrainingConfig


def test_every_training_field_has_form_metadata():
    described = setting_fields(TrainingConfig)
    assert [f.name for f in described] == [f.name for f in fields(TrainingConfig)]
    for field in described:
        assert field.label, field.name
        assert field.group, field.name
        assert field.default == getattr(TrainingConfig(), field.name)


def test_the_ranges_and_choices_are_what_the_config_accepts():
    for field in setting_fields(TrainingConfig):
        values = field.choices or [
            v for v in (field.minimum, field.maximum) if v is not None
        ]
        for value in values:
            assert replace(TrainingConfig(), **{field.name: value}).problems() == []


def test_enable_rules_name_a_field_and_a_value_it_can_take():
    described = {f.name: f for f in setting_fields(TrainingConfig)}
    for field in described.values():
        if field.used_when is None:
            continue
        other, value = field.used_when
        assert other in described, field.name
        values = value if isinstance(value, tuple) else (value,)
        for each in values:
            assert each in (described[other].choices or (True, False)), field.name
    patience = described["patience"]
    assert not patience.is_used({"early_stopping": False})
    assert patience.is_used({"early_stopping": True})


def test_a_field_without_metadata_or_with_a_typo_is_refused():
    @dataclass
    class Bare:
        epochs: int = 3

    with pytest.raises(ValueError, match=r"Bare\.epochs has no setting metadata"):
        setting_fields(Bare)
    with pytest.raises(TypeError, match="unknown setting metadata: maximun"):
        setting(3, label="Epochs", maximun=10)
