"""RunsPanel: every run of the project, compared in a table and overlaid in a plot.

The table is ``RunStore.compare()``; selecting rows overlays their validation
curves; the table exports as CSV; a run can be deleted (after a question). A
run that cannot be read is listed as damaged, with why in its tooltip. "Open
in Prediction" and "Export model…" take the model picked beside them: the
run's model (``core.run_model``: its best model when kept), or its "final
weights", the only name ``last.keras`` is offered under.
"""

from __future__ import annotations

from collections.abc import Callable

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.errors import WorkbenchError
from core.run_model import BEST, pickable
from core.runs import COMPARE_COLUMNS, DAMAGED, Run, RunStore
from core.training.config import MONITORS
from core.training.events import StopReason
from desktop import colours

RESUMABLE = {
    r.value for r in (StopReason.CANCELLED, StopReason.FAILED, StopReason.DIVERGED)
}

PALETTE = colours.SERIES
LEGEND_ROW_PX = 22  # a row of the legend above the plot, one run a row
COLUMN_PX = 140  # a comparison column at most; its whole text in the tooltip
MIN_PLOT_PX = 320  # the plot's width at least, beside the table
# The columns as shown: the figures a comparison is for first, the bookkeeping
# after. Beside the Training page's settings at 1366x768 the tab has about
# 770 px, and "test accuracy", eighth in COMPARE_COLUMNS (the CSV's order),
# was reached only by scrolling.
SHOWN_ORDER = (
    "run",
    "test_accuracy",
    "val_accuracy",
    "val_loss",
    "best_epoch",
    "epochs_run",
    "stop_reason",
    "tested_model",
    "started",
)


class RunsPanel(QWidget):
    """Lists runs from ``store()`` (the store follows the project's file)."""

    open_model = Signal(str)  # a run's model file, for the Prediction page
    resume_run = Signal(object)  # a stopped, failed or killed Run to continue
    export_model = Signal(str)  # a run's model file, for the export dialog
    data_quality = Signal(object)  # a Run whose data-quality report to show

    def __init__(self, store: Callable[[], RunStore], parent: QWidget | None = None):
        super().__init__(parent)
        self._store = store
        self._runs: list[Run] = []
        self.table = _comparison_table()
        self.metric_box = QComboBox()
        self.metric_box.addItems(list(MONITORS))  # what a run records and watches
        self.metric_box.setToolTip("The curve overlaid for each selected run")
        self.plot = colours.plot_widget()
        item = self.plot.getPlotItem()
        # The legend takes the title's row, as the training charts' do: over
        # the plot it covered the curves.
        legend = self.plot.addLegend(frame=False)
        legend.setParentItem(item)
        legend.layout.setContentsMargins(0, 0, 0, 0)
        legend.anchor(itemPos=(0.5, 0), parentPos=(0.5, 0), offset=(0, 2))
        item.layout.setRowFixedHeight(0, LEGEND_ROW_PX)
        self.plot.setLabel("bottom", "epoch")
        self.refresh_button = QPushButton("Refresh")
        self.export_button = QPushButton("Export CSV…")
        self.delete_button = QPushButton("Delete run")
        self.quality_button = QPushButton("Data quality…")
        self.quality_button.setToolTip(
            "The selected run's data-quality report: likely wrong labels, "
            "duplicates and test images also in train"
        )
        self.model_box = QComboBox()
        # As wide as "best model (epoch 12)": at its first, empty width it
        # showed "best moc".
        self.model_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.model_box.setToolTip(
            "Which of the run's models Open and Export take: its best model "
            "(the run's model), or the final weights it ended with"
        )
        self.open_button = QPushButton("Open in Prediction")
        self.open_button.setToolTip("Classify images with the model picked beside")
        self.resume_button = QPushButton("Resume run")
        self.resume_button.setToolTip(
            "Continue a stopped, failed or killed run from its last completed epoch"
        )
        self.export_model_button = QPushButton("Export model…")
        self.export_model_button.setToolTip(
            "Save the picked model as .keras, SavedModel, TFLite or Python"
        )
        # Two rows: the list's own actions, then what to do with the picked
        # run's model. In one row they needed 801 px, and the Training page
        # grew wider than a 1280-pixel screen.
        table_row, model_row = QHBoxLayout(), QHBoxLayout()
        for b in (
            self.refresh_button,
            self.export_button,
            self.delete_button,
            self.quality_button,
        ):
            table_row.addWidget(b)
        table_row.addStretch(1)
        table_row.addWidget(self.metric_box)
        for b in (
            self.resume_button,
            self.model_box,
            self.open_button,
            self.export_model_button,
        ):
            model_row.addWidget(b)
        model_row.addStretch(1)
        buttons = QVBoxLayout()
        buttons.addLayout(table_row)
        buttons.addLayout(model_row)
        self.split = split = QSplitter()
        split.addWidget(self.table)
        split.addWidget(self.plot)
        split.setSizes([600, 400])  # the comparison table needs its columns
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(buttons)
        layout.addWidget(split, 1)
        self.refresh_button.clicked.connect(self.refresh)
        self.export_button.clicked.connect(self._on_export_clicked)
        self.delete_button.clicked.connect(self._on_delete_clicked)
        self.open_button.clicked.connect(self._on_open_clicked)
        self.resume_button.clicked.connect(self._on_resume_clicked)
        self.quality_button.clicked.connect(self._on_quality_clicked)
        self.metric_box.currentTextChanged.connect(self._on_selection_changed)
        self.export_model_button.clicked.connect(self._on_export_model_clicked)
        self.table.itemSelectionChanged.connect(self._on_selection_changed)

    def refresh(self) -> None:
        self._runs = self._store().list()
        rows = self._store().compare(self._runs)
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, key in enumerate(COMPARE_COLUMNS):
                value = row[key]
                item = QTableWidgetItem("" if value is None else str(value))
                item.setToolTip(item.text())
                if row["stop_reason"] == DAMAGED:
                    item.setToolTip(row.get("problem", ""))
                self.table.setItem(r, c, item)
        self.table.resizeColumnsToContents()
        for c in range(self.table.columnCount()):
            self.table.setColumnWidth(c, min(self.table.columnWidth(c), COLUMN_PX))
        self._give_table_its_columns()
        self._on_selection_changed()

    def _give_table_its_columns(self) -> None:
        """The table as wide as its columns, the plot keeping MIN_PLOT_PX: at
        600 px the test accuracy was reached only by scrolling."""
        table = self.table
        need = (
            table.verticalHeader().width()
            + sum(table.columnWidth(c) for c in range(table.columnCount()))
            + 2 * table.frameWidth()
            + 4
        )
        total = sum(self.split.sizes()) or self.split.width()
        if total > MIN_PLOT_PX:
            table_px = min(need, total - MIN_PLOT_PX)
            self.split.setSizes([table_px, total - table_px])

    def selected_runs(self) -> list[Run]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [self._runs[r] for r in rows]

    @Slot()
    def _on_selection_changed(self) -> None:
        self.plot.clear()
        legend = self.plot.getPlotItem().legend
        legend.clear()
        metric = self.metric_box.currentText()
        self.plot.setLabel("left", metric)
        for k, run in enumerate(self.selected_runs()):
            try:
                history = run.history()
            except WorkbenchError:  # a damaged run: listed, not drawn
                continue
            values = history.get(metric) or history.get(metric[4:]) or []
            colour = PALETTE[k % len(PALETTE)]
            self.plot.plot(
                list(range(1, len(values) + 1)),
                values,
                pen=pg.mkPen(colour, width=2),
                symbol="o",
                symbolSize=4,
                symbolBrush=colour,
                name=run.name,
            )
        rows = max(1, len(legend.items))
        self.plot.getPlotItem().layout.setRowFixedHeight(0, LEGEND_ROW_PX * rows + 4)
        selected = self.selected_runs()
        self.delete_button.setEnabled(len(selected) == 1)
        self.quality_button.setEnabled(len(selected) == 1)
        self.resume_button.setEnabled(len(selected) == 1 and _resumable(selected[0]))
        self._fill_model_box(selected[0] if len(selected) == 1 else None)
        self.open_button.setEnabled(len(selected) == 1)
        self.export_model_button.setEnabled(len(selected) == 1)

    def _fill_model_box(self, run: Run | None) -> None:
        """The selected run's models, its own first, by their honest names."""
        self.model_box.clear()
        for model in pickable(run.path) if run is not None else []:
            label = model.label
            if model.kind == BEST:
                epoch = _best_epoch(run)
                label += "" if epoch is None else f" (epoch {epoch + 1})"
            self.model_box.addItem(label, str(model.path))
        self.model_box.setEnabled(self.model_box.count() > 1)

    @Slot()
    def _on_export_clicked(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Export runs", "runs.csv", "CSV (*.csv)"
        )
        if path:
            self._store().export_csv(path, self._runs)

    @Slot()
    def _on_delete_clicked(self) -> None:
        runs = self.selected_runs()
        if len(runs) == 1 and self._confirm_delete(runs[0]):
            self._store().delete(runs[0])
            self.refresh()

    @Slot()
    def _on_open_clicked(self) -> None:
        model = self._selected_model()
        if model is not None:
            self.open_model.emit(str(model))

    @Slot()
    def _on_export_model_clicked(self) -> None:
        model = self._selected_model()
        if model is not None:
            self.export_model.emit(str(model))

    def _selected_model(self) -> str | None:
        """The model file picked for the one selected run (its own by default)."""
        runs = self.selected_runs()
        if len(runs) != 1:
            return None
        if not self.model_box.count():  # it kept none when selected: look again
            self._fill_model_box(runs[0])
        return self.model_box.currentData() if self.model_box.count() else None

    @Slot()
    def _on_resume_clicked(self) -> None:
        runs = self.selected_runs()
        if len(runs) == 1 and _resumable(runs[0]):
            self.resume_run.emit(runs[0])

    @Slot()
    def _on_quality_clicked(self) -> None:
        runs = self.selected_runs()
        if len(runs) == 1:
            self.data_quality.emit(runs[0])

    def _confirm_delete(self, run: Run) -> bool:
        answer = QMessageBox.question(
            self, "Delete run", f"Delete {run.name} and its models for good?"
        )
        return answer == QMessageBox.StandardButton.Yes


def _resumable(run: Run) -> bool:
    """Ended before its last epoch: stopped, failed, diverged, or killed."""
    try:
        record = run.record()
        if record:
            return record.get("stop_reason") in RESUMABLE
        epochs = run.config().get("training", {}).get("epochs")  # killed: no record
        return epochs is None or len(run.history().get("loss", [])) < epochs
    except WorkbenchError:  # damaged: a resume would say why, not continue it
        return False


def _comparison_table() -> QTableWidget:
    """One row a run, COMPARE_COLUMNS's columns shown in SHOWN_ORDER."""
    table = QTableWidget(0, len(COMPARE_COLUMNS))
    table.setHorizontalHeaderLabels([c.replace("_", " ") for c in COMPARE_COLUMNS])
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    # A long name or time loses its middle in a COLUMN_PX column.
    table.setWordWrap(False)
    table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
    header = table.horizontalHeader()
    for position, key in enumerate(SHOWN_ORDER):
        header.moveSection(header.visualIndex(COMPARE_COLUMNS.index(key)), position)
    return table


def _best_epoch(run: Run) -> int | None:
    """The epoch (0-based) the run's best model holds, if its record says."""
    try:
        record = run.run_record()
    except WorkbenchError:
        return None
    return record.best_epoch if record else None
