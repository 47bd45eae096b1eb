"""DatasetSource: the Data page's top box, where a user picks what to load.

Built-in name, folder and local-file buttons, the split options and the status
row with progress and Cancel. It holds no dataset: the page reads its choices
when a load starts and shows the project's dataset spec in it. "Use local
files…" offers a folder, or for CIFAR-10 its archive too, from a menu: one
dialog each, the one the user means (the folder was reached only by pressing
Cancel on an archive dialog).
"""

from __future__ import annotations

import dataclasses
from dataclasses import replace

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from core.data.builtin import BUILTIN_NAMES, CIFAR_ARCHIVE
from core.data.spec import BOUNDS, SPLIT, SPLIT_TOTAL_BELOW, DatasetSpec
from core.setting_fields import METADATA_KEY


class DatasetSource(QGroupBox):
    """The "Dataset" box: source buttons, split options, status and progress.

    ``local_files_chosen(path)``: the user picked where the built-in shown in
    the box lives on this computer (a folder, or CIFAR-10's archive).
    """

    local_files_chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Dataset", parent)
        self.source = QComboBox()
        self.source.addItems(BUILTIN_NAMES)
        # As wide as its longest name, also one added later ("cats_vs_d" was cut).
        self.source.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.source.setToolTip(
            "A built-in dataset; or open a folder with one sub-folder per class"
        )
        self.load_button = QPushButton("Load")
        self.folder_button = QPushButton("Open folder…")
        self.local_button = QPushButton("Use local files…")
        self.local_button.setToolTip(
            "Point a built-in dataset at files on this computer"
        )
        menu = QMenu(self.local_button)
        self.local_folder_action = menu.addAction("Folder…")
        self.local_archive_action = menu.addAction(f"Archive ({CIFAR_ARCHIVE})…")
        self.local_button.setMenu(menu)
        self.local_folder_action.triggered.connect(self._on_local_folder_triggered)
        self.local_archive_action.triggered.connect(self._on_local_archive_triggered)
        self.source.currentTextChanged.connect(self._name_local_files)
        self._name_local_files(self.source.currentText())
        self.verify_button = QPushButton("Verify images")
        self.verify_button.setToolTip(
            "Decode every image of the folder (all cores) to find damaged files "
            "the quick header scan cannot see"
        )
        self.val_spin = _percent("validation_fraction")
        self.test_spin = _percent("test_fraction")
        for spin, other in (
            (self.val_spin, self.test_spin),
            (self.test_spin, self.val_spin),
        ):
            spin.valueChanged.connect(
                lambda value, other=other: _leave_training_data(other, value)
            )
            _leave_training_data(other, spin.value())
        self.seed_spin = QSpinBox()
        self.seed_spin.setRange(*BOUNDS["seed"])
        self.seed_spin.setToolTip(_declared("seed").metadata[METADATA_KEY]["help"])
        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        self.cancel_button = QPushButton("Cancel")
        self.status = QLabel("Choose a dataset.")
        self.status.setWordWrap(True)
        self.status.setObjectName("datasetStatus")
        self._build_layout()

    def _build_layout(self) -> None:
        source_row = QHBoxLayout()
        for w in (
            QLabel("Built-in"),
            self.source,
            self.load_button,
            self.folder_button,
            self.local_button,
            self.verify_button,
        ):
            source_row.addWidget(w)
        source_row.addStretch(1)
        options = QFormLayout()
        split_row = QHBoxLayout()
        for label, w in (
            ("validation", self.val_spin),
            ("test", self.test_spin),
            ("seed", self.seed_spin),
        ):
            split_row.addWidget(QLabel(label))
            split_row.addWidget(w)
        split_row.addStretch(1)
        options.addRow("Split", split_row)
        status_row = QHBoxLayout()
        status_row.addWidget(self.status, 3)
        status_row.addWidget(self.progress, 2)
        status_row.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addLayout(source_row)
        layout.addLayout(options)
        layout.addLayout(status_row)

    def with_options(self, spec: DatasetSpec) -> DatasetSpec:
        """``spec`` with the split the boxes show (what a new load uses)."""
        return replace(
            spec,
            validation_fraction=self.val_spin.value() / 100,
            test_fraction=self.test_spin.value() / 100,
            seed=self.seed_spin.value(),
        )

    def show_spec(self, spec: DatasetSpec) -> None:
        if spec.kind == "builtin":
            self.source.setCurrentText(spec.name)
        self.val_spin.setValue(round(spec.validation_fraction * 100))
        self.test_spin.setValue(round(spec.test_fraction * 100))
        self.seed_spin.setValue(spec.seed)

    def set_busy(self, busy: bool, can_verify: bool, text: str | None = None) -> None:
        """While a job runs only Cancel is offered; Verify only when it can help."""
        for w in (self.load_button, self.folder_button, self.local_button, self.source):
            w.setEnabled(not busy)
        self.verify_button.setEnabled(not busy and can_verify)
        self.cancel_button.setVisible(busy)
        self.progress.setVisible(busy)
        self.progress.setRange(0, 0)
        if text is not None:
            self.status.setText(text)

    def show_progress(self, fraction: float, text: str) -> None:
        self.progress.setRange(0, 1000)
        self.progress.setValue(int(fraction * 1000))
        self.status.setText(text)

    @Slot(str)
    def _name_local_files(self, name: str) -> None:
        """What the folder holds for ``name``; only CIFAR-10 comes as an archive,
        and shapes, drawn by the app, has no files."""
        cifar = name == "cifar10"
        self.local_folder_action.setText(
            "Folder of class folders…" if cifar else "Folder of IDX .gz files…"
        )
        self.local_folder_action.setEnabled(name != "shapes")
        self.local_archive_action.setVisible(cifar)

    @Slot()
    def _on_local_folder_triggered(self) -> None:
        name = self.source.currentText()
        if not name:  # a folder of one's own is loaded
            self.status.setText("Choose the built-in dataset the files are of first.")
            return
        what = "CIFAR-10 class folders" if name == "cifar10" else "IDX .gz files"
        path = QFileDialog.getExistingDirectory(
            self, f"Folder holding the {name} {what}"
        )
        if path:
            self.local_files_chosen.emit(path)

    @Slot()
    def _on_local_archive_triggered(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, f"The {CIFAR_ARCHIVE} archive", "", "Archives (*.tar.gz *.tgz)"
        )
        if path:
            self.local_files_chosen.emit(path)


def _declared(name: str) -> dataclasses.Field:
    return next(f for f in dataclasses.fields(DatasetSpec) if f.name == name)


def _percent(name: str) -> QSpinBox:
    """A whole-percent box for a split fraction, from its declaration."""
    field = _declared(name)
    meta = field.metadata[METADATA_KEY]
    limits = SPLIT[name]
    top = round(limits.high * 100) - (1 if limits.high_open else 0)
    spin = QSpinBox()
    spin.setRange(round(limits.low * 100), top)
    spin.setSuffix(" %")
    spin.setValue(round(field.default * 100))
    spin.setToolTip(meta["help"])
    return spin


def _leave_training_data(spin: QSpinBox, other_percent: int) -> None:
    """Cap ``spin`` so that it and the other split box stay below the total
    validation accepts (``SPLIT_TOTAL_BELOW``, tighter than either box's own
    declared bound), as validation would refuse the pair otherwise."""
    total = round(SPLIT_TOTAL_BELOW * 100) - 1
    spin.setMaximum(max(spin.minimum(), total - other_percent))
