"""build_report: a trained run's data-quality report, the app's heavy job.

From the run folder alone (its recorded model, data, settings and model
file), with progress and cooperative cancel (``core.data_quality.progress``):

1. the run's data, opened as recorded; refused, naming what changed, when it
   no longer matches the run's fingerprint;
2. one pass of the run's model over every split: probabilities, penultimate-
   layer embeddings and pixel signatures (``forward``);
3. full mode: out-of-sample probabilities for the training split from fold
   models (``folds``); quick mode skips it and checks the held-out splits only;
4. label issues ranked by cleanlab (``labels``), the hardest examples per
   class and the most confused pairs (``hardest``), all from those
   out-of-sample probabilities;
5. duplicates and train/held-out leaks over all splits (``duplicates``).

The report is saved in the run folder (``report.save_report``) and reopens
with ``report.load_report`` without any of this. A cancelled report raises
``ReportCancelled`` and writes nothing.

Example:
    report = build_report("my.runs/20261207-101500-cnn", quick=True)
    print(len(report.flagged), len(report.leaks))
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from core.data.dataset import SPLITS, Dataset
from core.data_quality.duplicates import find_pairs
from core.data_quality.folds import DEFAULT_FOLDS, fold_epochs, out_of_fold
from core.data_quality.forward import Pass, embedding_model, forward
from core.data_quality.hardest import confused_pairs, hardest_per_class
from core.data_quality.identity import UNREADABLE, identities
from core.data_quality.labels import cleanlab_missing, rank_labels
from core.data_quality.progress import NullReportListener, ReportListener, Stages
from core.data_quality.report import (
    FULL,
    QUICK,
    ConfusedPair,
    DataQualityReport,
    DuplicatePair,
    HardExample,
    ImageRef,
    LabelIssue,
    save_report,
)
from core.errors import WorkbenchError
from core.model_files.loading import load_model_file
from core.run_model import run_model
from core.runs import Run
from core.training.evaluation import as_class_probabilities
from core.training.fingerprint import data_fingerprint, refuse_changed_data
from core.training.resume import open_recorded_dataset, read_inputs

# Shares of the progress bar, roughly as the time goes on a CPU.
_SHARES = {
    FULL: {"data": 2, "forward": 15, "folds": 65, "names": 3, "labels": 3, "pairs": 12},
    QUICK: {"data": 5, "forward": 55, "names": 5, "labels": 5, "pairs": 30},
}


def build_report(
    run_dir: str | Path | Run,
    quick: bool = False,
    folds: int = DEFAULT_FOLDS,
    listener: ReportListener | None = None,
    cancel: threading.Event | None = None,
    dataset: Dataset | None = None,
    save: bool = True,
) -> DataQualityReport:
    """The data-quality report of the run in ``run_dir`` (see the module doc).

    ``dataset`` is the run's data when the caller has it open (it must match
    the run's fingerprint). ``folds`` (at least 2) is the number of fold
    models of the full mode.

    Raises:
        WorkbenchError: cleanlab missing, not a run folder, no model kept, or
            data changed since the run (the message says what changed).
        ReportCancelled: ``cancel`` was set; nothing was saved.
    """
    started = time.monotonic()
    missing = cleanlab_missing()
    if missing:
        raise WorkbenchError(missing)
    if folds < 2:
        raise WorkbenchError(f"folds must be at least 2, not {folds}")
    run = run_dir if isinstance(run_dir, Run) else Run(Path(run_dir))
    inputs = read_inputs(run)
    kept = run_model(run.path)
    if kept is None:
        raise WorkbenchError(f"{run.name} kept no model to report with")
    mode = QUICK if quick else FULL
    stages = Stages(
        _SHARES[mode], listener or NullReportListener(), cancel or threading.Event()
    )
    stages.begin("data", f"opening {inputs.data_spec.title}")
    if dataset is None:
        dataset = open_recorded_dataset(run, cancel=stages.cancel)
    else:
        refuse_changed_data(run.config().get("dataset", {}), dataset, run.name)
    splits = [s for s in SPLITS if len(dataset.splits[s])]
    batch = inputs.training.batch_size
    stages.begin("forward", "the run's model over every image")
    model = embedding_model(load_model_file(kept.path))
    share = 1 / max(len(splits), 1)
    passes = {
        s: forward(model, dataset, s, batch, stages.ticker(i * share, (i + 1) * share))
        for i, s in enumerate(splits)
    }
    epochs = None
    probabilities = {
        s: (p.indices, p.probabilities) for s, p in passes.items() if s != "train"
    }
    if mode == FULL and "train" in passes:
        epochs = fold_epochs(_epochs_run(run), folds)
        stages.begin("folds", _fold_models(folds, epochs))
        found = out_of_fold(inputs, dataset, epochs, folds, stages)
        rows = np.nonzero(np.isfinite(found).all(axis=1))[0]
        probabilities["train"] = (rows, found[rows])
    stages.begin("names", "naming the images (reading their digests)")
    names = {s: identities(dataset, s) for s in splits}
    stages.begin("labels", "ranking the labels (cleanlab)")
    labels, hardest, confused = _label_findings(dataset, names, probabilities)
    stages.begin("pairs", "looking for duplicates and leaks")
    duplicates = _duplicates(passes, names, stages)
    stages.done()
    report = DataQualityReport(
        run=run.name,
        mode=mode,
        checked=_checked(mode, probabilities, folds, epochs),
        classes=list(dataset.class_names),
        images={s: len(dataset.splits[s]) for s in SPLITS},
        labels=labels,
        duplicates=duplicates,
        hardest=hardest,
        confused=confused,
        folds=folds if epochs else None,
        fold_epochs=epochs,
        seconds=round(time.monotonic() - started, 1),
        when=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        model=kept.path.name,
        fingerprint=data_fingerprint(dataset),
        notes=_notes(dataset, passes),
    )
    if save:
        save_report(report, run.path)
    return report


Found = dict[str, tuple[np.ndarray, np.ndarray]]  # split -> (indices, probabilities)


def _label_findings(
    dataset: Dataset, names: dict[str, list[tuple[str, str]]], found: Found
) -> tuple[list[LabelIssue], dict[str, list[HardExample]], list[ConfusedPair]]:
    """Label issues (every checked image, ranked), hardest examples, confusions."""
    refs: list[ImageRef] = []
    given, parts = [], []
    for split in SPLITS:
        if split not in found:
            continue
        indices, probabilities = found[split]
        refs += [ImageRef(split, int(i), *names[split][i]) for i in indices]
        given.append(dataset.splits[split].labels[indices])
        parts.append(probabilities)
    if not refs:
        return [], {}, []
    y, p = np.concatenate(given), as_class_probabilities(np.concatenate(parts))
    ranking = rank_labels(y, p)
    classes = dataset.class_names
    labels = [
        LabelIssue(
            refs[i],
            classes[y[i]],
            classes[ranking.suggested[i]],
            float(ranking.confidence[i]),
            float(ranking.scores[i]),
            bool(ranking.flagged[i]),
        )
        for i in ranking.order()
    ]
    predicted = p.argmax(axis=1)
    hardest = {
        classes[c]: [
            HardExample(refs[i], classes[c], classes[predicted[i]], float(p[i, c]))
            for i in positions
        ]
        for c, positions in hardest_per_class(y, p).items()
    }
    confused = [
        ConfusedPair(classes[a], classes[b], ab, ba)
        for a, b, ab, ba in confused_pairs(y, p)
    ]
    return labels, hardest, confused


def _duplicates(
    passes: dict[str, Pass], names: dict[str, list[tuple[str, str]]], stages: Stages
) -> list[DuplicatePair]:
    """Copies over every split's images, from the forward pass's signatures."""
    refs = [
        ImageRef(split, int(i), *names[split][i])
        for split, done in passes.items()
        for i in done.indices
    ]
    if len(refs) < 2:
        return []

    def joined(field: str) -> np.ndarray:
        return np.concatenate([getattr(done, field) for done in passes.values()])

    found = find_pairs(
        joined("hashes"), joined("thumbs"), joined("embeddings"), tick=stages.tick
    )
    return [
        DuplicatePair(
            refs[c.first],
            refs[c.second],
            refs[c.first].digest == refs[c.second].digest != UNREADABLE,
            c.hash_bits,
            round(c.pixel_distance, 3),
            None if c.similarity is None else round(c.similarity, 4),
        )
        for c in found
    ]


def _checked(mode: str, found: Found, folds: int, epochs: int | None) -> str:
    """Which images the label findings cover, and by which models, in words."""
    held = [s for s in SPLITS if s in found and s != "train"]
    by_run = (
        f"{' and '.join(held)} by the run's model, which never trained on them"
        if held
        else ""
    )
    if mode == QUICK:
        return (
            f"quick: {by_run or 'no held-out images'}; the training images were "
            "not checked for label issues (the full report checks them with fold "
            "models)"
        )
    train = (
        f"train by {_fold_models(folds, epochs)}, each predicting the "
        "fold it did not train on"
    )
    return "full: " + "; ".join(x for x in (train if epochs else "", by_run) if x)


def _notes(dataset: Dataset, passes: dict[str, Pass]) -> list[str]:
    """Images the report could not look at (files that do not decode)."""
    return [
        f"{len(dataset.splits[s]) - len(p.indices)} {s} images could not be decoded "
        "and are left out of the report"
        for s, p in passes.items()
        if len(p.indices) < len(dataset.splits[s])
    ]


def _epochs_run(run: Run) -> int:
    """The epochs the run trained, which the fold models' cost is held to."""
    record = run.run_record()
    if record is not None and record.epochs_run:
        return record.epochs_run
    return max(1, len(run.history().get("loss", [])))


def _fold_models(folds: int, epochs: int) -> str:
    return f"{folds} fold models of {epochs} epoch{'s' * (epochs != 1)}"
