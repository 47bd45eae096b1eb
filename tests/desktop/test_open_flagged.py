"""Opening a project with settings recorded outside today's bounds says so (#24).

Such a value loads and is kept until the user changes it; the form frames it,
but nothing said so on opening, so the user learnt of it only by looking.
"""

from __future__ import annotations

import json

from core.presets import starter_project


def test_opening_a_project_with_an_old_out_of_bounds_value_says_so(window, tmp_path):
    data = starter_project().to_dict()
    data["training"]["learning_rate"] = 5.0  # taken by older versions (< 10)
    path = tmp_path / "old.cnnwb.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert window.open_project(path, ask=False)
    message = window.statusBar().currentMessage()
    assert "1 setting recorded outside today's bounds kept as recorded" in message
    assert window.document.training.learning_rate == 5.0


def test_opening_an_in_bounds_project_says_only_opened(window, tmp_path):
    path = tmp_path / "new.cnnwb.json"
    path.write_text(json.dumps(starter_project().to_dict()), encoding="utf-8")
    assert window.open_project(path, ask=False)
    assert window.statusBar().currentMessage() == f"Opened {path}"
