"""Where training runs: GPU(s) when TensorFlow sees them, the CPU otherwise.

GPU memory growth is switched on so TensorFlow does not grab the whole card;
the dtype policy is the project's precision as this machine can run it
(``core.recipe.precision``: mixed_float16 only on a GPU, float32 on a CPU;
mixed_bfloat16 refused where neither a GPU nor the CPU's instructions carry
it); several GPUs train together under ``MirroredStrategy``. The returned
description says what is actually in use, including when a request could not
be honoured (mixed_float16 asked for on a CPU).

The strategy is a choice of the machine, not of the project: ``auto`` (several
GPUs mirrored, else the one device TensorFlow picks), ``cpu``, ``gpu``, or
``mirrored`` over every GPU, or every logical CPU device when there is no GPU
(how the mirrored path is tested without one), or ``multi-worker``: every
worker of a ``TF_CONFIG`` cluster under ``MultiWorkerMirroredStrategy``
(``core.training.multi_worker``). The project's batch size stays the global
batch; each replica gets an equal share of it. TensorFlow is
imported inside the functions, so the command line can list the strategies
before it loads TensorFlow quietly.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from core.errors import WorkbenchError
from core.recipe.precision import policy_for

if TYPE_CHECKING:
    import tensorflow as tf

STRATEGIES = ("auto", "cpu", "gpu", "mirrored", "multi-worker")


@dataclass
class Device:
    """The strategy to build and train under, and how to describe it."""

    strategy: tf.distribute.Strategy
    description: str
    gpus: int
    policy: str  # the Keras dtype policy the run computes in
    worker: int = 0  # this process's index in a multi-worker cluster (0: chief)
    workers: int = 1

    @property
    def replicas(self) -> int:
        return int(self.strategy.num_replicas_in_sync)

    @property
    def mixed(self) -> bool:
        """Whether layers compute in 16 bits (the classifier then stays float32)."""
        return self.policy != "float32"

    @property
    def chief(self) -> bool:
        """Whether this process writes the run (always, on one machine)."""
        return self.worker == 0

    def worker_batch(self, batch_size: int) -> int:
        """This worker's share of the global batch (all of it on one machine)."""
        return batch_size // self.workers

    def check_batch(self, batch_size: int) -> None:
        """Refuse a global batch that does not split evenly over the replicas."""
        if batch_size % self.replicas:
            raise WorkbenchError(
                f"batch size {batch_size} does not split evenly over "
                f"{self.replicas} replicas: use a multiple of {self.replicas}"
            )


def describe(gpus: int) -> str:
    """How the visible hardware is named in the app (``CPU``, ``GPU``, ``2 GPUs``)."""
    if gpus > 1:
        return f"{gpus} GPUs"
    return "GPU" if gpus else "CPU"


def visible_gpus() -> int:
    import tensorflow as tf

    return len(tf.config.list_physical_devices("GPU"))


def configure(precision: str = "float32", strategy: str = "auto") -> Device:
    """Set memory growth and the dtype policy; pick a distribution strategy.

    ``precision`` is a ``core.recipe.precision.PRECISIONS`` choice; the policy
    set is what it means on this machine (``Device.policy``).

    Raises:
        WorkbenchError: an unknown strategy, ``gpu`` without a GPU, or a
            precision this machine cannot run (mixed_bfloat16 on a CPU
            without bfloat16 instructions), with the reason.
    """
    import keras
    import tensorflow as tf

    if strategy not in STRATEGIES:
        raise WorkbenchError(
            f"unknown strategy {strategy!r}: choose one of {', '.join(STRATEGIES)}"
        )
    gpus = tf.config.list_physical_devices("GPU")
    if strategy == "gpu" and not gpus:
        raise WorkbenchError("strategy gpu: TensorFlow sees no GPU on this machine")
    if strategy == "cpu":
        gpus = []
    for gpu in gpus:
        # Already initialised by an earlier run in this process: keep its setting.
        with contextlib.suppress(RuntimeError):
            tf.config.experimental.set_memory_growth(gpu, True)
    try:
        policy = policy_for(precision, gpu=bool(gpus))
    except ValueError as exc:
        raise WorkbenchError(str(exc)) from None
    keras.mixed_precision.set_global_policy(policy)
    description = describe(len(gpus))
    chosen: tf.distribute.Strategy
    worker, workers = 0, 1
    if strategy == "multi-worker":
        from core.training import multi_worker

        chosen, task = multi_worker.strategy(), multi_worker.cluster_task()
        worker, workers = task.index, task.workers
        description = (
            f"worker {worker + 1} of {workers}, {description} "
            "(MultiWorkerMirroredStrategy)"
        )
    elif strategy == "mirrored" or (strategy == "auto" and len(gpus) > 1):
        chosen, description = _mirrored(bool(gpus))
    elif strategy == "cpu":
        chosen = tf.distribute.OneDeviceStrategy("/cpu:0")
    elif strategy == "gpu":
        chosen = tf.distribute.OneDeviceStrategy("/gpu:0")
    else:
        chosen = tf.distribute.get_strategy()
    if policy != "float32":
        description += f", {policy}"
    elif precision != "float32":
        description += f" ({precision} needs a GPU: using float32)"
    return Device(chosen, description, len(gpus), policy, worker, workers)


def _mirrored(on_gpus: bool) -> tuple[tf.distribute.Strategy, str]:
    """Every GPU, else every logical CPU device, with a fitting all-reduce."""
    import tensorflow as tf

    kind = "GPU" if on_gpus else "CPU"
    devices = [d.name for d in tf.config.list_logical_devices(kind)]
    # NCCL, MirroredStrategy's default all-reduce, exists on GPUs only.
    ops = None if on_gpus else tf.distribute.ReductionToOneDevice()
    strategy = tf.distribute.MirroredStrategy(devices, cross_device_ops=ops)
    named = describe(len(devices)) if on_gpus else f"{len(devices)} CPU devices"
    return strategy, f"{named} (MirroredStrategy)"
