"""The cluster this process trains in, from ``TF_CONFIG``, and its strategy.

``python -m core train PROJECT --strategy multi-worker`` runs on every worker;
``TF_CONFIG`` tells each one the cluster and which task it is (TensorFlow's
convention: a ``chief`` task, or ``worker`` 0 when there is none, writes the
run). TensorFlow's own errors for a wrong ``TF_CONFIG`` are deep tracebacks,
so it is read and checked here first.

``MultiWorkerMirroredStrategy`` configures collective ops, which must happen
before any other TensorFlow op in the process ("collective ops must be
configured at program startup"): ``strategy()`` creates it once, and the
command calls it first, before the dataset and the model. A dead worker is
found by the coordination service's heartbeats within seconds; the collective
timeout below ends a step that a live but stuck worker never joins.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
from dataclasses import dataclass
from typing import TYPE_CHECKING

from core.errors import WorkbenchError

if TYPE_CHECKING:
    import tensorflow as tf

    from core.training.config import TrainingConfig

# Generous: a collective waits for its slowest worker, which may be saving a
# checkpoint or running validation while the others are already waiting.
COLLECTIVE_TIMEOUT_S = 300.0

_strategy: tf.distribute.Strategy | None = None


@dataclass(frozen=True)
class ClusterTask:
    """This process's place in the cluster: ``index`` 0 is the chief."""

    index: int
    workers: int

    @property
    def chief(self) -> bool:
        return self.index == 0


def cluster_task(tf_config: str | None = None) -> ClusterTask:
    """Read ``TF_CONFIG`` (the environment's unless given).

    Raises:
        WorkbenchError: missing, not JSON, or a task that is not in the cluster.
    """
    text = os.environ.get("TF_CONFIG") if tf_config is None else tf_config
    if not text:
        raise WorkbenchError(
            "strategy multi-worker: set TF_CONFIG on every worker (see docs/scaling.md)"
        )
    try:
        config = json.loads(text)
        cluster, task = config["cluster"], config["task"]
        chiefs = list(cluster.get("chief", []))
        workers = list(cluster.get("worker", []))
        kind, number = task["type"], int(task["index"])
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise WorkbenchError(
            f"TF_CONFIG is not a cluster and a task: {exc} "
            '(expected {"cluster": {"worker": [...]}, "task": {"type": "worker", '
            '"index": 0}})'
        ) from exc
    tasks = {"chief": chiefs, "worker": workers}
    if kind not in tasks or not 0 <= number < len(tasks[kind]):
        raise WorkbenchError(
            f"TF_CONFIG task {kind} {number} is not in its cluster "
            f"({len(chiefs)} chief, {len(workers)} workers)"
        )
    index = number if kind == "chief" else len(chiefs) + number
    return ClusterTask(index, len(chiefs) + len(workers))


def strategy() -> tf.distribute.Strategy:
    """This process's ``MultiWorkerMirroredStrategy``, created on the first call.

    Raises:
        WorkbenchError: a bad ``TF_CONFIG``, or TensorFlow already ran an op.
    """
    global _strategy
    if _strategy is None:
        import tensorflow as tf

        cluster_task()  # a readable message before TensorFlow's own
        for gpu in tf.config.list_physical_devices("GPU"):  # as configure() does
            with contextlib.suppress(RuntimeError):
                tf.config.experimental.set_memory_growth(gpu, True)
        options = tf.distribute.experimental.CommunicationOptions(
            timeout_seconds=COLLECTIVE_TIMEOUT_S
        )
        try:
            _strategy = tf.distribute.MultiWorkerMirroredStrategy(
                communication_options=options
            )
        except (RuntimeError, ValueError) as exc:
            raise WorkbenchError(f"strategy multi-worker: {exc}") from exc
    return _strategy


def localhost_configs(workers: int) -> list[str]:
    """A ``TF_CONFIG`` per worker for a cluster of ``workers`` on this machine.

    Ports are free ones the system hands out now; how to try multi-worker
    training (and how it is tested) without a second machine.
    """
    sockets = [socket.socket() for _ in range(workers)]
    for s in sockets:
        s.bind(("localhost", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    cluster = {"worker": [f"localhost:{port}" for port in ports]}
    return [
        json.dumps({"cluster": cluster, "task": {"type": "worker", "index": i}})
        for i in range(workers)
    ]


# Settings multi-worker training's own loop (core.training.distributed_loop,
# in place of fit) cannot honour, and why: each is refused unless at its default.
_UNSUPPORTED = {
    "ema": "weight averaging does not work with multi-worker training (its loop "
    "has no swap of the averaged weights)",
    "norm_lr_factor": "a separate rate for the norm layers is not supported with "
    "multi-worker training",
    "jit_compile": "XLA compilation is not used by multi-worker training (its own "
    "loop, not fit)",
}


def refuse_unsupported(cfg: TrainingConfig) -> None:
    """Refuse, in one line, a setting multi-worker training cannot honour.

    Raises:
        WorkbenchError: naming the first such setting and the value to set.
    """
    defaults = type(cfg)()
    for name, why in _UNSUPPORTED.items():
        default = getattr(defaults, name)
        if getattr(cfg, name) != default:
            raise WorkbenchError(
                f"training setting {name}: {why}; set it back "
                f"(training.{name}: {json.dumps(default)}) or train on one machine"
            )
