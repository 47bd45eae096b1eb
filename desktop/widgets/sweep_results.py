"""SweepResults: the project's sweeps, one's trials in a table, and its plot.

Everything here is read from the sweep's folder (``core.sweeps.folder``:
``results`` and ``trials``, no KerasTuner, nothing recomputed), so a sweep
shows the same whether it runs now, was stopped, or ran on the command line.
The table has a row per trial (its number, status, the values it tried, its
score on the objective, best epoch, epochs, minutes, run) and sorts by any
column; Export CSV writes ``SweepFolder.export_csv``. "Use these settings"
asks for the selected trial's values to be put into the project: the page
does it, undoably.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.errors import WorkbenchError
from core.sweeps.folder import (
    COMPLETED,
    ENDED,
    FAILED,
    SweepFolder,
    TrialRecord,
    list_sweeps,
)
from desktop import colours
from desktop.widgets.sweep_ranges import heading

FIXED_BEFORE = ("trial", "status")
FIXED_AFTER = ("best_epoch", "epochs", "minutes", "run")
TRIAL_ROLE = Qt.ItemDataRole.UserRole + 1
COLUMN_PX = 150  # a column at most; its whole text in the tooltip


class SweepResults(QWidget):
    """Which sweep is shown (``sweep_box``), its ``table`` and ``plot``."""

    chosen = Signal(object)  # the SweepFolder shown, or None
    use_trial = Signal(object)  # the TrialRecord whose values to use

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from desktop.widgets.sweep_plot import SweepPlot  # pyqtgraph: when built

        self.root: Path | None = None
        self.live = False  # the shown sweep runs now, in this app
        self.folder: SweepFolder | None = None
        self.trials: dict[str, TrialRecord] = {}
        self.sweep_box = QComboBox()
        self.sweep_box.setToolTip("The project's sweeps, kept beside its runs")
        self.sweep_box.setMinimumContentsLength(16)
        self.sweep_box.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.table = QTableWidget(0, 0)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.table.verticalHeader().setVisible(False)
        self.table.setSortingEnabled(True)
        self.export_button = QPushButton("Export CSV…")
        self.export_button.setToolTip("The trials' table as a CSV file")
        self.use_button = QPushButton("Use these settings")
        self.use_button.setToolTip(
            "Put the selected trial's values into the project (Ctrl+Z undoes it)"
        )
        self.plot = SweepPlot()
        top = QHBoxLayout()
        top.addWidget(QLabel("Sweep"))
        top.addWidget(self.sweep_box, 1)
        top.addWidget(self.export_button)
        top.addWidget(self.use_button)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(self.plot)
        split.setSizes([300, 220])
        split.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.summary)
        layout.addWidget(split, 1)
        self.sweep_box.currentIndexChanged.connect(self._on_sweep_picked)
        self.table.itemSelectionChanged.connect(self._on_selection_changed)
        self.export_button.clicked.connect(self._on_export_clicked)
        self.use_button.clicked.connect(self._on_use_clicked)
        self._on_selection_changed()

    def refresh(self, root: Path, select: str | None = None) -> None:
        """List ``root``'s sweeps; show ``select`` (or the one shown, or the newest)."""
        self.root = root
        keep = select or (self.folder.name if self.folder else None)
        sweeps = list_sweeps(root)
        self.sweep_box.blockSignals(True)
        self.sweep_box.clear()
        for folder in sweeps:
            self.sweep_box.addItem(folder.name, str(folder.path))
        names = [f.name for f in sweeps]
        index = names.index(keep) if keep in names else len(names) - 1
        self.sweep_box.setCurrentIndex(index)
        self.sweep_box.setToolTip(self.sweep_box.currentText())
        self.sweep_box.blockSignals(False)
        self._show(sweeps[index] if sweeps else None)

    def reload(self) -> None:
        """The shown sweep's folder again (a trial just ended)."""
        self._show(self.folder, keep_row=True)

    def selected_trial(self) -> TrialRecord | None:
        rows = self.table.selectionModel().selectedRows()
        if len(rows) != 1:
            return None
        item = self.table.item(rows[0].row(), 0)
        return self.trials.get(item.data(TRIAL_ROLE)) if item else None

    def select_trial(self, number: int) -> None:
        """Select trial ``number``'s row, as a click does."""
        for row in range(self.table.rowCount()):
            if self.table.item(row, 0).data(TRIAL_ROLE) == str(number - 1):
                self.table.selectRow(row)

    @Slot(int)
    def _on_sweep_picked(self, index: int) -> None:
        path = self.sweep_box.itemData(index)
        self.sweep_box.setToolTip(self.sweep_box.currentText())
        self._show(SweepFolder(Path(path)) if path else None)

    def _show(self, folder: SweepFolder | None, keep_row: bool = False) -> None:
        selected = self.selected_trial() if keep_row else None
        changed = folder != self.folder
        self.folder = folder
        try:
            trials = folder.trials() if folder else []
            rows = folder.results() if folder else []
            vary = (
                (folder.record().get("spec") or {}).get("vary") or {} if folder else {}
            )
            objective = folder.objective() if folder else None
            best = folder.best() if folder else None
            problem = ""
        except WorkbenchError as exc:  # a damaged record: say so, show nothing
            trials, rows, vary, objective, best, problem = (
                [],
                [],
                {},
                None,
                None,
                str(exc),
            )
        self.trials = {t.trial_id: t for t in trials}
        columns = _columns(list(vary), objective.name if objective else "score")
        self._fill(columns, rows, best)
        self.summary.setText(
            colours.span(problem, "error")
            if problem
            else _summary(folder, trials, best, self.live)
        )
        self.plot.show_trials(trials, vary, objective.name if objective else "", best)
        if selected is not None:
            self.select_trial(selected.number)
        self._on_selection_changed()
        if changed:
            self.chosen.emit(folder)

    def _fill(self, columns: list[str], rows: list[dict[str, Any]], best) -> None:
        table = self.table
        table.setSortingEnabled(False)
        table.clearContents()
        table.setColumnCount(len(columns))
        table.setHorizontalHeaderLabels([heading(c) for c in columns])
        for c, column in enumerate(columns):
            table.horizontalHeaderItem(c).setToolTip(column)
        table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            trial_id = str(row["trial"] - 1)
            for c, column in enumerate(columns):
                cell = _Cell(row.get(column))
                cell.setData(TRIAL_ROLE, trial_id)
                if column == "status" and row.get("message"):
                    cell.setToolTip(row["message"])
                if best is not None and trial_id == best.trial_id:
                    font = cell.font()
                    font.setBold(True)
                    cell.setFont(font)
                table.setItem(r, c, cell)
        table.setSortingEnabled(True)
        table.resizeColumnsToContents()
        for c in range(table.columnCount()):
            table.setColumnWidth(c, min(table.columnWidth(c), COLUMN_PX))

    @Slot()
    def _on_selection_changed(self) -> None:
        trial = self.selected_trial()
        usable = trial is not None and trial.status != FAILED
        self.use_button.setEnabled(usable)
        self.export_button.setEnabled(bool(self.trials))

    @Slot()
    def _on_export_clicked(self) -> None:
        if self.folder is None:
            return
        path, _ = QFileDialog.getSaveFileName(
            self, "Export trials", f"{self.folder.name}.csv", "CSV (*.csv)"
        )
        if path:
            self.folder.export_csv(path)

    @Slot()
    def _on_use_clicked(self) -> None:
        trial = self.selected_trial()
        if trial is not None:
            self.use_trial.emit(trial)


class _Cell(QTableWidgetItem):
    """A cell that sorts numbers as numbers, and empty cells last."""

    def __init__(self, value: Any) -> None:
        text = (
            ""
            if value is None
            else f"{value:.4g}"
            if isinstance(value, float)
            else str(value)
        )
        super().__init__(text)
        self.setToolTip(str(value) if value is not None else "")
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        self.key = (
            (0, float(value), "")
            if number
            else (1 if value is not None else 2, 0.0, text)
        )

    def __lt__(self, other: QTableWidgetItem) -> bool:
        if isinstance(other, _Cell):
            return self.key < other.key
        return super().__lt__(other)


def _columns(varied: list[str], objective: str) -> list[str]:
    return [*FIXED_BEFORE, *varied, objective, *FIXED_AFTER]


def _summary(
    folder: SweepFolder | None,
    trials: list[TrialRecord],
    best: TrialRecord | None,
    live: bool,
) -> str:
    """``3 trials: 2 completed, 1 failed · running · best: trial 2 (0.91)``."""
    if folder is None:
        return "No sweep yet: choose what varies on the left and run one."
    done = sum(t.status == COMPLETED for t in trials)
    failed = sum(t.status == FAILED for t in trials)
    state = folder.record().get("state", "")
    words = f"{len(trials)} trial{'s' if len(trials) != 1 else ''}: {done} completed"
    if failed:
        words += f", {failed} failed"
    if live:
        words += " · running"
    elif state != ENDED:
        words += " · unfinished: Continue goes on where it stopped"
    if best is not None and best.score is not None:
        words += f" · best: trial {best.number} ({best.score:.4g})"
    return words
