"""RunsPanel: the table follows the store, selection overlays curves, delete asks."""

from __future__ import annotations

from core.runs import RunStore
from desktop.widgets.runs_panel import RunsPanel


def make_store(tmp_path):
    store = RunStore(tmp_path / "runs")
    for label, losses in (("first", [1.0, 0.8]), ("second", [0.9, 0.7, 0.6])):
        run = store.create(label, {"training": {}})
        history = {"loss": losses, "val_loss": losses}
        store.finish(run, {"epochs_run": len(losses), "history": history})
    return store


def test_table_overlay_export_and_delete(qtbot, tmp_path, monkeypatch):
    store = make_store(tmp_path)
    panel = RunsPanel(lambda: store)
    qtbot.addWidget(panel)
    panel.refresh()
    assert panel.table.rowCount() == 2
    assert panel.table.item(1, 2).text() == "3"  # epochs run
    panel.table.selectAll()
    curves = panel.plot.getPlotItem().listDataItems()
    assert [list(c.getData()[1]) for c in curves] == [[1.0, 0.8], [0.9, 0.7, 0.6]]
    out = tmp_path / "runs.csv"
    monkeypatch.setattr(
        "desktop.widgets.runs_panel.QFileDialog.getSaveFileName",
        lambda *a, **k: (str(out), ""),
    )
    panel.export_button.click()
    assert out.read_text().count("\n") == 3
    panel.table.selectRow(0)
    (store.list()[0].path / "best.keras").write_bytes(b"placeholder")
    with qtbot.waitSignal(panel.open_model, timeout=1000) as blocker:
        panel.open_button.click()
    assert blocker.args[0].endswith("best.keras")
    with qtbot.waitSignal(panel.export_model, timeout=1000) as blocker:
        panel.export_model_button.click()
    assert blocker.args[0].endswith("best.keras")
    monkeypatch.setattr(panel, "_confirm_delete", lambda run: True)
    panel.delete_button.click()
    assert panel.table.rowCount() == 1
    assert len(store.list()) == 1


def test_metric_choice_and_resume_of_an_unfinished_run(qtbot, tmp_path):
    store = make_store(tmp_path)
    killed = store.create("killed", {"training": {"epochs": 4}})
    (killed.path / "history.csv").write_text(
        "epoch,accuracy,loss\n0,0.5,1.2\n1,0.7,0.9\n"
    )
    panel = RunsPanel(lambda: store)
    qtbot.addWidget(panel)
    panel.refresh()
    panel.metric_box.setCurrentText("val_accuracy")  # the killed run has no val_
    row = [r.path for r in panel._runs].index(killed.path)
    panel.table.selectRow(row)
    [curve] = panel.plot.getPlotItem().listDataItems()
    assert list(curve.getData()[1]) == [0.5, 0.7]  # its training accuracy
    assert panel.resume_button.isEnabled()
    with qtbot.waitSignal(panel.resume_run, timeout=1000) as blocker:
        panel.resume_button.click()
    assert blocker.args[0].path == killed.path
    panel.table.selectRow(0 if row else 1)  # a finished run: nothing to resume
    assert not panel.resume_button.isEnabled()
