"""The Resume dialog counts the epochs a stopped run trained in words a
newcomer reads without stumbling: "1 epoch", not "1 epochs" (#25)."""

from __future__ import annotations

import json

import pytest

from core.runs import Run
from core.training.config import TrainingConfig
from desktop.resume_dialog import ResumeDialog


@pytest.mark.parametrize(("epochs", "said"), [(1, "1 epoch trained"), (3, "3 epochs")])
def test_the_epochs_trained_so_far_are_counted_right(qtbot, tmp_path, epochs, said):
    folder = tmp_path / "run"
    folder.mkdir()
    training = {**TrainingConfig().to_dict(), "epochs": 10}
    (folder / "config.json").write_text(json.dumps({"training": training}))
    rows = "".join(f"{i},1.0,0.5\n" for i in range(epochs))
    (folder / "history.csv").write_text(f"epoch,loss,accuracy\n{rows}")
    dialog = ResumeDialog(Run(folder))
    qtbot.addWidget(dialog)
    assert dialog.note.text().startswith(f"{said} ")
