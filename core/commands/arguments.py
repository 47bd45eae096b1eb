"""argparse types the commands share, bounded by the settings' own declarations."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from core.layers import Field
from core.setting_fields import SettingField, setting_fields


def whole_number_in(field: Field) -> Callable[[str], int]:
    """An argparse type: a whole number in the range ``field`` declares.

    The bound is the declaration's (``TrainingConfig.epochs``: at most 10,000;
    a backbone's ``last_n``: at least 0), so the command line accepts exactly
    what the app's form and the project file do.
    """

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not a whole number"
            ) from None
        low, high = field.minimum, field.maximum
        if (low is not None and value < low) or (high is not None and value > high):
            raise argparse.ArgumentTypeError(
                f"must be {_range_words(low, high)}, not {value:,}"
            )
        return value

    return parse


def number_in(field: SettingField) -> Callable[[str], float]:
    """An argparse type: a number the setting ``field`` accepts as a new edit.

    Its bounds and message are the declaration's (``field.problem``), the
    same the form's spin box and ``TrainingConfig.problems()`` use.
    """

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        reason = field.problem(value)
        if reason:
            raise argparse.ArgumentTypeError(f"{reason}, not {value:g}")
        return value

    return parse


def _range_words(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f"from {low:,g} to {high:,g}"
    return f"at least {low:,g}" if low is not None else f"at most {high:,g}"


def setting_field(settings: type, name: str) -> SettingField:
    """The declaration of setting ``name`` of a settings dataclass, as forms read it."""
    return next(f for f in setting_fields(settings) if f.name == name)
