"""Training on JAX across processes: `jax.distributed` under `keras.distribution`.

Every process runs the same script with its own `--process_id`. They meet at
the coordinator (process 0's `--coordinator_address`), then train one model
whose variables are global `jax.Array`s over every process's devices: each
process feeds its own shard of the input, the collectives run over the
network (gloo on CPUs), and one process, the writer, writes the run's files.
Saving needs no collective, but Keras builds throwaway variables while it
saves, which under a distribution is one; `undistributed` keeps the writer's
saves to itself.
"""

import contextlib
import dataclasses
import socket
import time

import keras

from keras_mlp import validation

# Seconds without a heartbeat after which a process counts as lost: the
# survivors then stop with an error instead of waiting in a collective.
HEARTBEAT_TIMEOUT = 30


@dataclasses.dataclass(frozen=True)
class Cluster:
    """Where the processes of a run meet; `None` fields are detected by JAX.

    The names are `jax.distributed.initialize`'s. Left out, JAX reads them
    from the environment where it knows one (TPU pods, Slurm, Open MPI).

    Attributes:
        coordinator_address: `host:port` of process 0, which serves there.
        num_processes: how many processes train together.
        process_id: this process, in `[0, num_processes)`.
        timeout: seconds to wait for every process to join.

    Example:

    >>> Cluster("10.0.0.1:1234", num_processes=2, process_id=1).check()
    """

    coordinator_address: str | None = None
    num_processes: int | None = None
    process_id: int | None = None
    timeout: int = 300

    def check(self):
        """Raises a one-line `ValueError` naming the flag that is wrong."""
        if self.num_processes is not None:
            validation.positive_int("num_processes", self.num_processes)
        if self.process_id is not None:
            validation.non_negative_int("process_id", self.process_id)
            if self.num_processes is not None and self.process_id >= self.num_processes:
                raise ValueError(
                    f"--process_id={self.process_id} is out of range for "
                    f"--num_processes={self.num_processes}: give each process an id "
                    f"from 0 to {self.num_processes - 1}."
                )
        if self.coordinator_address is not None and not _is_host_port(self.coordinator_address):
            raise ValueError(
                f"--coordinator_address={self.coordinator_address!r} is not host:port; "
                "pass process 0's address, e.g. --coordinator_address=10.0.0.1:1234."
            )
        validation.positive_int("coordinator_timeout", self.timeout)
        return self


def _is_host_port(address):
    host, _, port = address.rpartition(":")
    return bool(host) and port.isdigit()


def initialize(cluster):
    """Joins this process to `cluster`; returns `keras.distribution.list_devices()`.

    `jax.distributed.initialize` is called directly (it is what
    `keras.distribution.initialize` calls) because only it takes the join
    timeout and the heartbeat timeout; Keras then sees every process's
    devices. An unreachable coordinator is a one-line `ConnectionError`.
    """
    import jax

    cluster.check()
    if cluster.process_id and cluster.coordinator_address:
        _wait_for_coordinator(cluster)
    # CPU collectives across processes need an implementation; GPUs and TPUs
    # bring their own and ignore this.
    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    try:
        jax.distributed.initialize(
            coordinator_address=cluster.coordinator_address,
            num_processes=cluster.num_processes,
            process_id=cluster.process_id,
            initialization_timeout=cluster.timeout,
            heartbeat_timeout_seconds=HEARTBEAT_TIMEOUT,
        )
    except (RuntimeError, ValueError) as e:
        first_line = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ConnectionError(
            f"Process {cluster.process_id} could not join the cluster at "
            f"--coordinator_address={cluster.coordinator_address} within "
            f"{cluster.timeout} s ({first_line[:200]}). Start process 0 there, check "
            "the address and that every process has the same --num_processes."
        ) from None
    return keras.distribution.list_devices()


def _wait_for_coordinator(cluster):
    """Raises a one-line `ConnectionError` unless the coordinator answers in time.

    JAX aborts the whole process (a C++ fatal error, no Python exception)
    when it cannot reach the coordinator, so it is tried here first.
    """
    host, _, port = cluster.coordinator_address.rpartition(":")
    deadline = time.monotonic() + cluster.timeout
    while True:
        try:
            socket.create_connection((host.strip("[]"), int(port)), timeout=5).close()
            return
        except OSError as e:
            if time.monotonic() > deadline:
                raise ConnectionError(
                    f"Process {cluster.process_id} could not reach the coordinator at "
                    f"--coordinator_address={cluster.coordinator_address} within {cluster.timeout} s "
                    f"({e.strerror or e}). Start process 0 there first, or check the address."
                ) from None
            time.sleep(1)


def process_index():
    """This process's index in the cluster; 0 outside one."""
    if keras.backend.backend() != "jax":
        return 0
    import jax

    return jax.process_index()


def shard():
    """`(process count, this process's index)`: the input shard this process reads."""
    return _process_count(), process_index()


def is_writer():
    """Whether this process writes the run's files: process 0 of a cluster."""
    return process_index() == 0


@contextlib.contextmanager
def undistributed():
    """No `keras.distribution` inside: for what one process does alone (saving)."""
    distribution = keras.distribution.distribution()
    keras.distribution.set_distribution(None)
    try:
        yield
    finally:
        keras.distribution.set_distribution(distribution)


def sum_over_processes(values):
    """The element-wise sum of `values` (numbers or arrays) over every process."""
    if _process_count() == 1:
        return values
    import numpy as np
    from jax.experimental import multihost_utils

    gathered = multihost_utils.process_allgather([np.asarray(v) for v in values])
    return [np.sum(np.asarray(g), axis=0) for g in gathered]


def agree_on(value, what):
    """`value`, after checking that every process has the same one.

    Raises a `ValueError` naming `what` otherwise (e.g. the epoch to resume
    from, when `--model_dir` is not on a file system every process sees).
    """
    if _process_count() == 1:
        return value
    import numpy as np
    from jax.experimental import multihost_utils

    values = np.asarray(multihost_utils.process_allgather(np.asarray(value)))
    if (values != values[0]).any():
        raise ValueError(
            f"The processes disagree on {what}: {values.tolist()} (process 0 first). "
            "Give every process the same flags and a --model_dir on a file system all of them see."
        )
    return value


def _process_count():
    if keras.backend.backend() != "jax":
        return 1
    import jax

    return jax.process_count()
