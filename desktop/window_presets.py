"""The Presets menu: a preset's whole recipe, or its model and an offer of its data."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox

from core.data.spec import DatasetSpec
from core.presets import Preset, all_presets
from desktop.undo_commands import SetRecipe, SetSpec


class PresetsMixin:
    """Preset loading of ``MainWindow``; it needs ``document`` and ``undo_stack``."""

    dataset_offer: QMessageBox | None = None  # after a preset's model loaded
    recipe_question: QMessageBox | None = None  # before a recipe replaces all

    def choose_preset(self, name: str) -> None:
        """The Presets menu: a whole recipe after a question, else the model.

        A preset that carries its recipe (format version 2) replaces the
        model, the dataset, augmentation and training settings: the window
        asks first (``recipe_question``, non-blocking), then loads all four
        as one undoable step. An older preset loads its model
        (``load_preset``).
        """
        preset = all_presets()[name]
        if preset.training is None:
            self.load_preset(name)
            return
        data = preset.project().dataset
        where = f"{data.title}, {data.validation_fraction:.0%} for validation"
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Load the preset's recipe?",
            f"“{preset.title}” replaces the model, the data ({where}), the "
            "augmentation and the training settings of this project; Undo brings "
            f"them back.\n\n{preset.description}",
            parent=self,
        )
        load = box.addButton("Load preset", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(load)
        load.clicked.connect(lambda: self.load_recipe(name))
        self.recipe_question = _replace_box(self.recipe_question, box)

    def load_recipe(self, name: str) -> None:
        """The preset's model, data, augmentation and training: one undo step."""
        recipe = replace(all_presets()[name].project(), name=self.document.name)
        self.undo_stack.push(SetRecipe(self.document, recipe, f"Load preset {name}"))
        self.show_page("model")

    def load_preset(self, name: str) -> None:
        """Undoable: a preset replaces the model, as any other edit.

        When the preset was made for other data than the loaded one, the
        window offers that data too (``dataset_offer``, a non-blocking
        question); until model and data agree the Training page says why it
        will not start.
        """
        preset = all_presets()[name]
        self.undo_stack.push(SetSpec(self.document, preset.spec, f"Load preset {name}"))
        self.show_page("model")
        if not _has_dataset_of(self.document.dataset, preset):
            self._offer_dataset(preset)

    def _offer_dataset(self, preset: Preset) -> None:
        folder = preset.dataset == "folder"
        wanted = (
            "a folder of images with one sub-folder per class"
            if folder
            else f"the {preset.dataset} dataset"
        )
        dataset = self.document.dataset
        current = (
            f"the project uses {dataset.title}" if dataset else "no data is loaded"
        )
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Load the preset's data?",
            f"“{preset.title}” was made for {wanted}; {current}. Load its data too?",
            parent=self,
        )
        load = box.addButton(
            "Choose folder…" if folder else f"Load {preset.dataset}",
            QMessageBox.ButtonRole.AcceptRole,
        )
        box.addButton("Keep the current data", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(load)
        load.clicked.connect(lambda: self._load_dataset_of(preset))
        self.dataset_offer = _replace_box(self.dataset_offer, box)

    def _load_dataset_of(self, preset: Preset) -> None:
        """Load the data ``preset`` names, at the preset's input size."""
        h, w, c = preset.spec.input.shape
        current = self.document.dataset or DatasetSpec()
        split = {
            "validation_fraction": current.validation_fraction,
            "test_fraction": current.test_fraction,
            "seed": current.seed,
        }
        if preset.dataset == "folder":
            path = QFileDialog.getExistingDirectory(
                self, f"Images for {preset.title}: one sub-folder per class"
            )
            if not path:
                return
            # Photos come in mixed sizes: the preset's own input size, as it says.
            spec = DatasetSpec(
                kind="folder",
                name=Path(path).name,
                path=path,
                image_size=(h, w),
                channels=c,
                **split,
            )
        else:
            spec = DatasetSpec(name=preset.dataset, **split)
        page = self.ensure_data_page()
        self.show_page("data")
        page.load_spec(spec)


def _replace_box(old: QMessageBox | None, box: QMessageBox) -> QMessageBox:
    """Open ``box`` window-modal (no nested event loop), closing an unanswered one."""
    if old is not None:
        old.close()
        old.deleteLater()
    box.open()
    return box


def _has_dataset_of(spec: DatasetSpec | None, preset: Preset) -> bool:
    """Whether the project's data is the kind ``preset`` was made for."""
    if spec is None:
        return False
    if preset.dataset == "folder":
        return spec.kind == "folder"
    return spec.kind == "builtin" and spec.name == preset.dataset
