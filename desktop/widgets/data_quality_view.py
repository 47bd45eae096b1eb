"""DataQualityView: a run's data-quality report, and acting on it (files untouched).

A tab of the Training page's results, for the run shown there (or the one
picked in the Runs panel). "Run report" builds the report of
``core.data_quality`` as the app's heavy job, with its progress and Cancel,
in full mode (fold models over train) or quick mode (held-out splits only);
a report saved in the run folder shows again at once, without recomputing.
Refusals (cleanlab missing, the run's data changed since) are one line.

Four tables: the images ranked likeliest mislabeled first, the duplicate and
leak pairs side by side, the hardest images per class and the most confused
class pairs. "Exclude", "Use suggested label" and "Label as" (any class) put
the selected images on the project's exclusion list (``core.data.exclusions``)
through one undoable command each (``exclusions_panel.set_exclusions``, the
Data page's); nothing in the data's folder changes. The list names an image
by how the run's data names it (``Dataset.identity``), checked against the
digest the report recorded, so an image changed since is never listed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSize, Qt, Signal, Slot
from PySide6.QtGui import QIcon, QUndoStack
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from core.data.dataset import Dataset
from core.data.spec import DatasetSpec
from core.data_quality.labels import cleanlab_missing
from core.data_quality.report import (
    FULL,
    QUICK,
    DataQualityReport,
    ImageRef,
    load_report,
)
from core.document import ProjectDocument
from core.errors import WorkbenchError
from core.runs import Run
from desktop import colours
from desktop.document_links import connect_while_alive
from desktop.widgets.exclusions_panel import set_exclusions
from desktop.widgets.report_thumbnails import ReportThumbnails
from desktop.workers import FunctionWorker
from desktop.workers_data_quality import HEAVY, build_job, open_job

THUMB_PX = 40
MIN_LABEL_ROWS = 50  # the likeliest mislabeled shown even when few are flagged
MAX_ROWS = 500  # a table of a 60,000-image report stays quick to fill
MODES = (FULL, QUICK)
MODE_NAMES = {
    FULL: "Full: fold models over train",
    QUICK: "Quick: held-out splits only",
}
LABELS, PAIRS, HARDEST, CONFUSED = range(4)
SIDES = ("left", "right")  # a pair's two images, as its table shows them


@dataclass(frozen=True)
class _Act:
    """What a tab's two buttons say and do: the image of a row and its new label."""

    first: str
    second: str
    # row object -> (image, label: None to exclude), per button
    first_of: Callable[[Any], tuple[ImageRef, str | None]] | None
    second_of: Callable[[Any], tuple[ImageRef, str | None]] | None


_ACTS = {
    LABELS: _Act(
        "Exclude",
        "Use suggested label",
        lambda issue: (issue.image, None),
        lambda issue: (issue.image, issue.suggested),
    ),
    PAIRS: _Act(
        "Exclude left image",
        "Exclude right image",
        lambda pair: (pair.first, None),
        lambda pair: (pair.second, None),
    ),
    HARDEST: _Act(
        "Exclude",
        "Use predicted label",
        lambda hard: (hard.image, None),
        lambda hard: (hard.image, hard.predicted),
    ),
    CONFUSED: _Act("", "", None, None),
}


class DataQualityView(QWidget):
    """The shown run's report: controls above, four tables below.

    ``report_shown(report)`` when a report is on show (built or reopened);
    ``failed(message)`` when one was refused; ``listed(text)`` after an
    action changed the project's exclusion list.
    """

    report_shown = Signal(object)  # core.data_quality.report.DataQualityReport
    failed = Signal(str)
    listed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("dataQualityView")
        self.document: ProjectDocument | None = None
        self.undo_stack: QUndoStack | None = None
        self.run: Run | None = None
        self.report: DataQualityReport | None = None
        self.worker: FunctionWorker | None = None  # the report being built
        self.opener: FunctionWorker | None = None  # the run's data, for images
        self._opening: Run | None = None  # the run whose data the opener opens
        self._own_data: Dataset | None = None  # the run's data, when known
        self.thumbnails = ReportThumbnails(THUMB_PX, self)
        self.thumbnails.ready.connect(self._on_thumbnail_ready)
        self._build()
        self.set_run(None)

    def _build(self) -> None:
        self.mode_box = QComboBox()
        for mode in MODES:
            self.mode_box.addItem(MODE_NAMES[mode], mode)
        self.mode_box.setToolTip(
            "Full checks every image: the training images by fold models "
            "trained as the run was (about as long as the run took). Quick "
            "checks the validation and test images only, by the run's model."
        )
        self.mode_box.currentIndexChanged.connect(self._on_mode_changed)
        self.run_button = QPushButton("Run report")
        self.run_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the report; nothing is saved")
        self.cancel_button.clicked.connect(self.cancel)
        self.cancel_button.hide()
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
        )
        self.tables = [
            _table(
                [
                    "Image",
                    "Split",
                    "Given",
                    "Suggested",
                    "Confidence",
                    "Label quality",
                    "On the list",
                ]
            ),
            _table(
                ["Image", "Split", "Copy", "Split", "Where", "Pixels", "On the list"]
            ),
            _table(["Image", "Class", "Predicted", "P(class)", "On the list"]),
            _table(["Class", "Confused with", "As the second", "As the first"]),
        ]
        self.labels_table, self.pairs_table, self.hardest_table, self.confused_table = (
            self.tables
        )
        self.rows: list[list[Any]] = [[] for _ in self.tables]
        # (split, index) -> the (table, row) places that show that image
        self._places: dict[tuple[str, int], list[tuple[int, int]]] = {}
        self.tabs = QTabWidget()
        for table, name in zip(self.tables, _tab_counts(None), strict=True):
            self.tabs.addTab(table, name)
            table.itemSelectionChanged.connect(self._refresh_actions)
        self.first_button = QPushButton()
        self.second_button = QPushButton()
        self.first_button.clicked.connect(lambda: self._act(first=True))
        self.second_button.clicked.connect(lambda: self._act(first=False))
        # Any class, not only the one the model suggests (its classes: the report's).
        self.label_button = QToolButton()
        self.label_button.setText("Label as")
        self.label_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.label_button.setMenu(QMenu(self.label_button))
        self.label_button.menu().triggered.connect(
            lambda action: self._act(first=False, label=action.text())
        )
        # A 60,000-image report flags thousands: MAX_ROWS at a time stays quick.
        self._limits = [MAX_ROWS] * len(self.tables)
        self.more_button = QPushButton()
        self.more_button.clicked.connect(self._show_more)
        self.tabs.currentChanged.connect(self._refresh_actions)
        # One row: the tabs' own corner left the fourth tab behind scroll
        # arrows in a 1366-pixel window.
        controls = QHBoxLayout()
        controls.addWidget(self.mode_box)
        controls.addWidget(self.run_button)
        controls.addWidget(self.cancel_button)
        controls.addWidget(self.progress, 1)
        controls.addStretch(0)
        controls.addWidget(self.first_button)
        controls.addWidget(self.second_button)
        controls.addWidget(self.label_button)
        controls.addWidget(self.more_button)
        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addWidget(self.status)
        layout.addWidget(self.tabs, 1)

    # ------------------------------------------------------------------ api
    def set_project(self, document: ProjectDocument, undo_stack: QUndoStack) -> None:
        """The project whose exclusion list the actions change."""
        self.document, self.undo_stack = document, undo_stack
        connect_while_alive(self, [(document.events.dataset, self._on_project_data)])
        self._refresh_actions()

    def is_running(self) -> bool:
        return self.worker is not None

    def set_run(self, run: Run | None, dataset: Dataset | None = None) -> None:
        """Show ``run``'s saved report, or what "Run report" would do for it.

        ``dataset`` is the run's own data when the caller holds it (a run that
        just finished). A report being built keeps its run.
        """
        if self.worker is not None:
            return
        same = run is not None and self.run is not None and run.path == self.run.path
        self.run = run
        if not same or dataset is not None:
            self._own_data = dataset
            self.thumbnails.set_dataset(dataset)
        self._show(self._saved())

    def start(self) -> None:
        """Build the shown run's report in the chosen mode (the heavy job)."""
        run = self.run
        if run is None or self.worker is not None:
            return
        quick = self.mode_box.currentData() == QUICK
        self.worker = FunctionWorker(build_job(run, quick, self._own_data), HEAVY)
        self.worker.progressed.connect(self._on_progress)
        self.worker.finished.connect(self._on_built)
        self.worker.failed.connect(self._on_failed)
        self._set_building(True)
        self.status.setText(f"Building the {MODE_NAMES[self._mode()]} report…")
        self.worker.start()

    def cancel(self) -> None:
        if self.worker is not None:
            self.worker.request_stop()
            self.status.setText("Stopping the report (nothing is saved)…")
            self.cancel_button.setEnabled(False)

    def shutdown(self) -> None:
        """Stop a report being built (it saves nothing) and wait for it."""
        for worker in (self.worker, self.opener):
            if worker is not None:
                worker.request_stop()
                worker.wait(60_000)
        self.thumbnails.shutdown()

    # ------------------------------------------------------------ showing
    def _mode(self) -> str:
        return str(self.mode_box.currentData())

    def _saved(self) -> DataQualityReport | str | None:
        """The run's saved report of the mode shown (else of the other), or why not."""
        if self.run is None:
            return None
        try:
            for mode in (self._mode(), *[m for m in MODES if m != self._mode()]):
                report = load_report(self.run.path, mode)
                if report is not None:
                    return report
        except WorkbenchError as exc:
            return str(exc)
        return None

    def _show(self, shown: DataQualityReport | str | None) -> None:
        """A report in the tables, or the tables empty with why."""
        self.report = shown if isinstance(shown, DataQualityReport) else None
        self._limits = [MAX_ROWS] * len(self.tables)
        menu = self.label_button.menu()
        menu.clear()
        if self.report is not None:
            self._show_mode(self.report.mode)
            for name in self.report.classes:
                menu.addAction(name)
        self._fill()
        missing = cleanlab_missing()
        self.run_button.setEnabled(self.run is not None and not missing)
        self.run_button.setToolTip(missing or "Compute the report (saved in the run)")
        lines = []
        if self.run is None:
            lines.append("No run shown: train one, or pick one in Runs.")
        elif isinstance(shown, str):
            lines.append(colours.span(shown, "error"))
        elif self.report is None:
            lines.append(
                f"{self.run.name} has no data-quality report yet: Run report "
                "finds likely wrong labels, duplicates and test images also in train."
            )
        else:
            lines.append(_summary(self.report))
        if missing and self.run is not None:
            lines.append(colours.span(missing, "error"))
        self.status.setText("<br>".join(lines))
        self.run_button.setText("Run again" if self.report else "Run report")
        if self.report is not None:
            self._with_images()
            self.report_shown.emit(self.report)

    def _fill(self) -> None:
        report = self.report
        for table in self.tables:
            table.setRowCount(0)
        self.rows = [[] for _ in self.tables]
        self._places = {}
        if report is not None:
            self.rows = [
                rows[:limit]
                for rows, limit in zip(_all_rows(report), self._limits, strict=True)
            ]
        for kind, rows in enumerate(self.rows):
            table = self.tables[kind]
            table.setRowCount(len(rows))
            for r, row in enumerate(rows):
                for c, text in enumerate(_cells(kind, row)):
                    table.setItem(r, c, QTableWidgetItem(text))
                for c, image in _images(kind, row):
                    self._places.setdefault((image.split, image.index), []).append(
                        (kind, r)
                    )
                    item = table.item(r, c)
                    item.setToolTip(f"{image.split}: {image.file}")
                    item.setIcon(
                        QIcon(self.thumbnails.pixmap(image.split, image.index))
                    )
            table.resizeColumnsToContents()
            for c in range(table.columnCount()):
                table.setColumnWidth(c, min(table.columnWidth(c), 220))
        counts = _tab_counts(report)
        for kind, name in enumerate(counts):
            self.tabs.setTabText(kind, name)
        self._refresh_listed()
        self._refresh_actions()

    def _with_images(self) -> None:
        """Thumbnails need the run's data: open it off the GUI thread if not held."""
        if self.thumbnails.dataset is not None or self.opener is not None:
            return
        run = self.run
        assert run is not None
        self.opener = FunctionWorker(open_job(run))
        self._opening = run
        self.opener.finished.connect(self._on_opened)
        self.opener.failed.connect(self._on_open_failed)
        self.opener.start()

    def _opened_another(self) -> bool:
        """The data that just opened is an earlier run's: open the shown one's."""
        self.opener = None
        opened, shown = self._opening, self.run
        if opened is not None and shown is not None and opened.path == shown.path:
            return False
        if self.report is not None:
            self._with_images()
        return True

    def _refresh_listed(self, only: tuple[str, int] | None = None) -> None:
        """Each row's "On the list": what the project's list does to its image.

        ``only``: the rows showing that image (its identity just arrived).
        """
        listed = self._listed()
        places = self._places.get(only, []) if only else self._all_rows()
        for kind, r in places:
            item = self.tables[kind].item(r, self.tables[kind].columnCount() - 1)
            images = _images(kind, self.rows[kind][r])
            words = [self._list_word(image, listed) for _, image in images]
            if len(words) == 2:  # a pair: say which side
                words = [
                    f"{side} {w}" if w else ""
                    for side, w in zip(SIDES, words, strict=True)
                ]
            item.setText(", ".join(w for w in words if w))

    def _all_rows(self) -> list[tuple[int, int]]:
        return [
            (kind, r)
            for kind in (LABELS, PAIRS, HARDEST)
            for r in range(len(self.rows[kind]))
        ]

    def _listed(self) -> dict[str, Any]:
        spec = self.document.dataset if self.document is not None else None
        exclusions = getattr(spec, "exclusions", None)
        return {e.path: e for e in exclusions.entries} if exclusions else {}

    def _list_word(self, image: ImageRef, listed: dict[str, Any]) -> str:
        identity = self.thumbnails.identity_known(image.split, image.index)
        entry = listed.get(identity[0]) if identity else None
        if entry is None:
            return ""
        return "excluded" if entry.label is None else f"labelled {entry.label}"

    # ------------------------------------------------------------ acting
    def _why_not_act(self) -> str | None:
        """Why the actions are off for the shown report (None: they are on)."""
        if self.document is None or self.undo_stack is None:
            return "Open a project to act on its data"
        if self.report is None or self.run is None:
            return "No report shown"
        if self.thumbnails.dataset is None:
            return "The run's images are not open (see above)"
        if not _same_source(self.run, self.document.dataset):
            return (
                "The project's data is not this run's data: choose it on the "
                "Data page to act on the report"
            )
        return None

    @Slot()
    def _refresh_actions(self, *_: object) -> None:
        kind = self.tabs.currentIndex()
        act = _ACTS[kind]
        why = self._why_not_act()
        chosen = bool(self.tables[kind].selectionModel().selectedRows())
        relabels = kind in (LABELS, HARDEST)  # rows of one image with its label
        total = len(_all_rows(self.report)[kind]) if self.report is not None else 0
        shown = len(self.rows[kind])
        self.more_button.setVisible(total > shown)
        self.more_button.setText(f"Show more ({shown:,} of {total:,} shown)")
        for button, text in (
            (self.first_button, act.first),
            (self.second_button, act.second),
            (self.label_button, "Label as" if relabels else ""),
        ):
            button.setText(text)
            button.setVisible(bool(text))
            button.setEnabled(why is None and chosen)
            button.setToolTip(
                why
                or (
                    "Select rows first"
                    if not chosen
                    else "Put the selected images on the project's exclusion list "
                    "(the files stay as they are; Edit > Undo takes it back)"
                )
            )

    @Slot()
    def _show_more(self) -> None:
        kind = self.tabs.currentIndex()
        self._limits[kind] += MAX_ROWS
        self._fill()

    def _act(self, first: bool, label: str | None = None) -> None:
        """The selected rows' images on the project's list, as one undo step:
        the button's action, or relabelled as ``label`` (Label as)."""
        kind = self.tabs.currentIndex()
        act = _ACTS[kind]
        pick = act.first_of if first else act.second_of
        if pick is None or self._why_not_act() is not None:
            return
        if label is not None:
            relabel = pick
            pick = lambda row: (relabel(row)[0], label)  # noqa: E731
        assert self.document is not None
        assert self.undo_stack is not None
        spec = self.document.dataset
        assert spec is not None
        rows = sorted(
            {i.row() for i in self.tables[kind].selectionModel().selectedRows()}
        )
        exclusions, done, skipped = spec.exclusions, 0, []
        for r in rows:
            image, label = pick(self.rows[kind][r])
            identity = self.thumbnails.identity(image.split, image.index)
            if identity is None or identity[1] != image.digest:
                skipped.append(image.file)  # unreadable, or changed since the report
                continue
            path, digest = identity
            exclusions = exclusions.listing(path, digest, label)
            done += 1
        what = f"label as {label}" if label else (act.first if first else act.second)
        what = what[0].lower() + what[1:]
        if done:
            text = f"Data quality: {what} ({done} image{'s' * (done != 1)})"
            set_exclusions(self.document, self.undo_stack, exclusions, text)
        message = (
            f"{done} image{'s' * (done != 1)}: {what}; the project's list has "
            + (self.document.dataset.exclusions.summary())
        )
        if skipped:
            message += f". Not listed (changed since the report): {', '.join(skipped)}"
        self.listed.emit(message)

    # -------------------------------------------------------------- slots
    @Slot(int)
    def _on_mode_changed(self, _index: int) -> None:
        if self.worker is None and self.run is not None:
            try:
                report = load_report(self.run.path, self._mode())
            except WorkbenchError as exc:
                self._show(str(exc))
                return
            self._show(report)

    @Slot(float, str)
    def _on_progress(self, fraction: float, text: str) -> None:
        self.progress.setValue(round(fraction * 1000))
        if text:
            self.status.setText(f"{MODE_NAMES[self._mode()]} report: {text}…")

    @Slot(object)
    def _on_built(self, result: tuple[DataQualityReport, Dataset] | None) -> None:
        self.worker = None
        self._set_building(False)
        if result is None:
            self._show(self._saved())
            self.status.setText(
                "Stopped: nothing was saved"
                + (
                    " (the report below is the one saved earlier)."
                    if self.report
                    else "."
                )
            )
            return
        report, data = result
        if data is not self.thumbnails.dataset:
            self._own_data = data
            self.thumbnails.set_dataset(data)
        self._show(report)

    @Slot(str, str)
    def _on_failed(self, message: str, _details: str) -> None:
        self.worker = None
        self._set_building(False)
        self._show(self._saved())
        self.status.setText(
            colours.span(f"The data-quality report was not made: {message}", "error")
            + (
                f"<br>Shown: the report saved {_when(self.report.when)}."
                if self.report
                else ""
            )
        )
        self.failed.emit(message)

    @Slot(object)
    def _on_opened(self, dataset: Dataset | None) -> None:
        if self._opened_another() or dataset is None or self.report is None:
            return
        self._own_data = dataset
        self.thumbnails.set_dataset(dataset)
        self._fill()

    @Slot(str, str)
    def _on_open_failed(self, message: str, _details: str) -> None:
        if self._opened_another():
            return
        self.status.setText(
            self.status.text()
            + "<br>"
            + colours.span(
                f"Images not shown, nothing can be listed: {message}", "warning"
            )
        )

    @Slot(str, int)
    def _on_thumbnail_ready(self, split: str, index: int) -> None:
        key = (split, index)
        for kind, r in self._places.get(key, []):
            for c, image in _images(kind, self.rows[kind][r]):
                if (image.split, image.index) == key:
                    item = self.tables[kind].item(r, c)
                    item.setIcon(QIcon(self.thumbnails.pixmap(split, index)))
        self._refresh_listed(key)

    def _on_project_data(self, _spec: DatasetSpec | None) -> None:
        self._refresh_listed()
        self._refresh_actions()

    def _show_mode(self, mode: str) -> None:
        """The combo names the shown report's mode (without reloading it)."""
        self.mode_box.blockSignals(True)
        self.mode_box.setCurrentIndex(MODES.index(mode))
        self.mode_box.blockSignals(False)

    def _set_building(self, building: bool) -> None:
        self.progress.setValue(0)
        self.progress.setVisible(building)
        self.cancel_button.setVisible(building)
        self.cancel_button.setEnabled(building)
        self.run_button.setEnabled(not building)
        self.mode_box.setEnabled(not building)


# ------------------------------------------------------------------ helpers
def _table(headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
    table.setIconSize(QSize(THUMB_PX, THUMB_PX))
    table.verticalHeader().setDefaultSectionSize(THUMB_PX + 4)
    table.setWordWrap(False)
    table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
    table.horizontalHeader().setStretchLastSection(True)
    return table


def _images(kind: int, row: Any) -> list[tuple[int, ImageRef]]:
    """The (column, image) pairs a row of table ``kind`` shows."""
    if kind == PAIRS:
        return [(0, row.first), (2, row.second)]
    if kind in (LABELS, HARDEST):
        return [(0, row.image)]
    return []


def _name(image: ImageRef) -> str:
    return Path(image.file).name


def _cells(kind: int, row: Any) -> list[str]:
    """A row's texts; the last column ("On the list") is filled afterwards."""
    if kind == LABELS:
        flag = " · flagged" if row.flagged else ""
        return [
            _name(row.image),
            row.image.split,
            row.given,
            row.suggested,
            f"{row.confidence:.0%}",
            f"{row.quality:.3f}{flag}",
            "",
        ]
    if kind == PAIRS:
        where = f"leak: {row.where}" if row.leak else f"within {row.where}"
        pixels = "same bytes" if row.exact else f"{row.pixel_distance:.3f}"
        return [
            _name(row.first),
            row.first.split,
            _name(row.second),
            row.second.split,
            where,
            pixels,
            "",
        ]
    if kind == HARDEST:
        return [
            _name(row.image),
            row.given,
            row.predicted,
            f"{row.probability:.0%}",
            "",
        ]
    return [
        row.first,
        row.second,
        f"{row.first_as_second:,}",
        f"{row.second_as_first:,}",
    ]


def _all_rows(report: DataQualityReport) -> list[list[Any]]:
    """Each table's rows, before the limit of what is shown."""
    flagged = max(len(report.flagged), MIN_LABEL_ROWS)
    return [
        report.labels[:flagged],
        report.duplicates,
        [e for found in report.hardest.values() for e in found],
        report.confused,
    ]


def _tab_counts(report: DataQualityReport | None) -> list[str]:
    """The tabs' names, with what each found."""
    if report is None:
        return ["Likely mislabeled", "Duplicates", "Hardest per class", "Confusions"]
    leaks = len(report.leaks)
    return [
        f"Likely mislabeled ({len(report.flagged):,} flagged)",
        f"Duplicates ({len(report.duplicates):,}"
        + (f", {leaks:,} leak{'s' * (leaks != 1)})" if leaks else ")"),
        "Hardest per class",
        "Confusions",
    ]


def _summary(report: DataQualityReport) -> str:
    """What the report is and what it found, in two lines."""
    checked = sum(report.images.values())
    found = (
        f"<b>{len(report.flagged):,} likely wrong labels</b> · "
        f"{len(report.duplicates):,} duplicate pairs · {len(report.leaks):,} leaks "
        f"({checked:,} images, {report.seconds:.0f} s, {_when(report.when)})"
    )
    notes = "".join(f"<br>{note}" for note in report.notes)
    return f"{found}<br>{report.checked}{notes}"


def _when(iso: str) -> str:
    """``2026-12-07 10:08 UTC`` from the report's ISO time (as saved if odd)."""
    try:
        return datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return iso


def _same_source(run: Run, spec: DatasetSpec | None) -> bool:
    """The project's data is where the run's came from (any list, any carving):
    the list names images by file (or array place), which carving does not move."""
    if spec is None:
        return False
    try:
        from core.training.resume import read_inputs

        recorded = read_inputs(run).data_spec
    except WorkbenchError:
        return False

    def source(s: DatasetSpec) -> tuple[str, str, str]:
        return (s.kind, s.name, str(Path(s.path).resolve()) if s.path else "")

    return source(recorded) == source(spec)
