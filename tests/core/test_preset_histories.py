"""One seeded epoch of every bundled preset gives the history it gave before #26.

Issue 26 adds training techniques as settings whose defaults must keep what
existing projects compute. ``test_compile_history`` pins the compile path on
a toy model; this pins each preset's whole recipe (its model, augmentation,
optimizer, schedule and seed) on a small seeded cut of its own dataset, so a
new setting whose default changes any preset's arithmetic shows here as a
changed float. Recorded on 141c3f0, this CPU: ``RECORD=1 pytest -s`` on an
older commit prints the values to paste. Another CPU or TensorFlow build may
round differently.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import pytest

from core.data.load import open_dataset
from core.presets import named_preset, preset_names
from core.training.job import Overrides, for_this_machine, fraction_of
from core.training.session import run_session

ROOT = Path(__file__).resolve().parents[2]
# The presets whose data is on this machine, with the share of it each cut
# keeps (about 100 training images; the CIFAR-10 ones read the 700-image folder).
CUTS: dict[str, float] = {
    "cifar10-simple-cnn": 0.2,
    "cifar10-strong": 0.2,
    "fashion-mnist-best": 0.002,
    "fashion-mnist-cnn": 0.002,
    "fashion-mnist-strong": 0.002,
    "fashion-mnist-vgg": 0.002,
    "mnist-convnet": 0.002,
    "mnist-strong": 0.002,
    "shapes-starter": 0.3,
    "vgg16-cifar10-transfer": 0.2,
}


def preset_history(name: str, datasets: Path) -> dict[str, list[float]]:
    """One epoch (a phase) of ``name``'s recipe on its small cut."""
    project = named_preset(name).project()
    small = Overrides(epochs=1, data_root=datasets)
    if "cifar10" in name:
        small = replace(small, dataset=str(datasets / "cifar-10-jpg-small"))
    if project.model.backbone is not None:  # ImageNet weights need the internet
        small = replace(small, weights="none")
    project = for_this_machine(project, ROOT, small)
    if project.model.backbone is not None:  # random weights: train them all
        project = replace(
            project, model=project.model.with_backbone_options(freeze="none")
        )
    training = project.training
    if training.fine_tune:
        training = replace(training, fine_tune_epochs=1)
    assert project.dataset is not None
    dataset = fraction_of(open_dataset(project.dataset), CUTS[name])
    outcome = run_session(
        project.model,
        dataset=dataset,
        cfg=training,
        augmentation=project.augmentation,
    )
    return outcome.result.history


def test_every_preset_is_pinned():
    """A new preset gets its recorded history too (or a reason it has none)."""
    # cats-vs-dogs-small downloads its data: nothing to pin offline. The fast
    # presets are new in #26, not pinned: they had no history before it.
    new_in_26 = {"cifar10-fast", "fashion-mnist-fast", "mnist-fast"}
    unpinned = {"cats-vs-dogs-small"} | new_in_26
    assert sorted(CUTS) == sorted(set(preset_names()) - unpinned)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CUTS))
def test_a_seeded_epoch_of_the_preset_gives_the_recorded_history(name, shared_datasets):
    got = preset_history(name, shared_datasets)
    if os.environ.get("RECORD"):
        print(json.dumps({name: got}, indent=4))
    assert got == RECORDED[name]


# Recorded on 141c3f0 (python -m pytest with RECORD=1), this CPU.
RECORDED: dict[str, dict[str, list[float]]] = {
    "cifar10-simple-cnn": {
        "accuracy": [0.1111111119389534],
        "loss": [2.319448947906494],
        "val_accuracy": [0.10000000149011612],
        "val_loss": [2.28424072265625],
    },
    "cifar10-strong": {
        "accuracy": [0.05999999865889549],
        "loss": [2.8897697925567627],
        "val_accuracy": [0.10000000149011612],
        "val_loss": [2.3021767139434814],
    },
    "fashion-mnist-best": {
        "accuracy": [0.19090908765792847],
        "loss": [2.269777536392212],
        "val_accuracy": [0.4000000059604645],
        "val_loss": [2.1604580879211426],
    },
    "fashion-mnist-cnn": {
        "accuracy": [0.12222222238779068],
        "loss": [2.2947404384613037],
        "val_accuracy": [0.2666666805744171],
        "val_loss": [2.2459280490875244],
    },
    "fashion-mnist-strong": {
        "accuracy": [0.09090909361839294],
        "loss": [2.948683261871338],
        "val_accuracy": [0.4000000059604645],
        "val_loss": [2.2599968910217285],
    },
    "fashion-mnist-vgg": {
        "accuracy": [0.12222222238779068],
        "loss": [2.2963016033172607],
        "val_accuracy": [0.10000000149011612],
        "val_loss": [2.251904010772705],
    },
    "mnist-convnet": {"accuracy": [0.10743801295757294], "loss": [2.3060176372528076]},
    "mnist-strong": {
        "accuracy": [0.1150442510843277],
        "loss": [3.215930223464966],
        "val_accuracy": [0.10000000149011612],
        "val_loss": [2.302614450454712],
    },
    "shapes-starter": {
        "accuracy": [0.16718749701976776],
        "loss": [1.7940653562545776],
        "val_accuracy": [0.1458333283662796],
        "val_loss": [1.7902965545654297],
    },
    "vgg16-cifar10-transfer": {
        "accuracy": [0.12222222238779068],
        "loss": [2.8019659519195557],
        "val_accuracy": [0.10000000149011612],
        "val_loss": [149.9144287109375],
    },
}
