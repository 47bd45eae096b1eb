"""SweepSetup: a sweep's name, its search, its budget and what varies.

What SWEEP.json holds (docs/sweeps.md), as a form: the search settings are
``core.sweeps.spec.SweepSettings``'s declarations drawn by the one
``SettingsForm`` (a search whose package is missing is greyed out with its
install line), what varies is ``SweepSpace``. ``data()`` is the sweep as
SWEEP.json would hold it; ``problems`` lists what ``core.sweeps.spec`` says
is wrong with it for the open project, one line each, shown under the form.
"""

from __future__ import annotations

import html
from dataclasses import replace
from typing import Any

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from core.project import Project
from core.sweeps.space import sweepable_settings
from core.sweeps.spec import SETTING_KEYS, SweepSettings, sweep_problems
from desktop import colours
from desktop.widgets.settings_form import SettingsForm
from desktop.widgets.sweep_space import SweepSpace

SHOWN_PROBLEMS = 3  # lines under the form; the tooltip has them all


class SweepSetup(QWidget):
    """Edits one sweep's description; says ``changed`` after every edit."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.project: Project | None = None
        self.settings = SweepSettings()
        self.name_edit = QLineEdit("sweep-1")
        self.name_edit.setToolTip(
            "The sweep's folder beside the runs (letters, digits, '-', '_', '.'); "
            "a stopped sweep of this name is continued"
        )
        self.form = SettingsForm(SweepSettings)
        self.space = SweepSpace()
        self.problem_label = QLabel()
        self.problem_label.setWordWrap(True)
        name_row = QFormLayout()
        name_row.setContentsMargins(0, 0, 0, 0)
        name_row.addRow("Name", self.name_edit)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(name_row)
        layout.addWidget(self.form)
        layout.addWidget(self.space, 1)
        layout.addWidget(self.problem_label)
        self.form.show_config(self.settings)
        self.form.edited.connect(self._on_form_edited)
        self.space.changed.connect(self._on_changed)
        self.name_edit.textEdited.connect(self._on_changed)

    def set_project(self, project: Project) -> None:
        """The open project's settings are what may vary (it changed)."""
        self.project = project
        self.space.set_settings(
            sweepable_settings(project.model, project.training, project.augmentation)
        )
        self._on_changed()

    def name(self) -> str:
        return self.name_edit.text().strip()

    def data(self) -> dict[str, Any]:
        """The sweep as SWEEP.json holds it."""
        return {
            "name": self.name(),
            **self.settings.to_dict(),
            "vary": self.space.vary(),
        }

    def show_data(self, data: dict[str, Any]) -> None:
        """Show a sweep's description (one recorded in its folder)."""
        given = {k: data[k] for k in SETTING_KEYS if k in data}
        self.settings = replace(SweepSettings(), **given)
        self.form.show_config(self.settings)
        self.name_edit.setText(str(data.get("name", "")))
        self.space.set_vary(data.get("vary") or {})
        self._on_changed()

    def problems(self) -> list[str]:
        """What ``core.sweeps.spec`` refuses in ``data()``, one line each."""
        if self.project is None:
            return ["no project is open"]
        return sweep_problems(self.data(), self.project)

    def set_enabled(self, on: bool) -> None:
        """Off while a sweep runs: it runs the description it started with."""
        for widget in (self.name_edit, self.form, self.space):
            widget.setEnabled(on)

    def set_value(self, name: str, value: Any) -> None:
        """Set a search setting, as its editor does."""
        self._on_form_edited(name, value)

    @Slot(str, object)
    def _on_form_edited(self, name: str, value: Any) -> None:
        self.settings = replace(self.settings, **{name: value})
        self.form.show_config(self.settings)  # the Hyperband fields follow
        self._on_changed()

    @Slot()
    def _on_changed(self, *_: Any) -> None:
        problems = self.problems()
        shown = [html.escape(p) for p in problems[:SHOWN_PROBLEMS]]
        if len(problems) > SHOWN_PROBLEMS:
            shown.append(f"… and {len(problems) - SHOWN_PROBLEMS} more (hover)")
        self.problem_label.setText(
            colours.span("<br>".join(shown), "error") if shown else ""
        )
        self.problem_label.setToolTip("\n".join(problems))
        self.problem_label.setVisible(bool(problems))
        self.changed.emit()
