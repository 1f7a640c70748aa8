"""Ray evaluation: a pool of long-lived actors scoring batches of compiled Nets.

Each actor holds the task (shipped once through the object store) and warms the
numba kernels when it starts. An ``evaluate`` call is cut into one batch per actor
(strided over the population, so cheap and costly networks mix: measured on 2 local
workers, finer batches handed out as actors finish cost more in Ray's per-task time
than their balance wins); each batch travels as a few flat arrays (``pack_nets``)
with one seed per net. ``submit`` hands the batches out and returns at once, so the
driver can work while the actors score (``wann.run``: breeding beside the champion
check). A net's score depends only
on (net, seed), so results equal the serial evaluator's bit for bit, whatever the
batching or the number of workers. If an actor dies, its batches are resubmitted to
a fresh actor and a warning is logged.

Without an address a private local Ray instance is started and shut down by
``close()``; with one (``"auto"`` or ``host:port``) the evaluator joins that
cluster and, on ``close()``, removes only its own actors and disconnects.
"""
from __future__ import annotations

import logging
import os
import socket
from collections import deque
from typing import Callable, Sequence

import numpy as np
import ray
from ray.exceptions import RayActorError

from wann.errors import UserError
from wann.evaluation import Result, score_batch
from wann.genome import Genome
from wann.network import Net, compile_genome
from wann.tasks import Task

log = logging.getLogger(__name__)

BATCHES_PER_WORKER = 1  # batches per actor and call: dynamic balance vs. per-task cost (module docstring)
MIN_BATCH = 4  # nets per batch, at least (the champion check sends 20 nets)
IN_FLIGHT = 2  # batches queued on each actor, so it never waits for the driver
MAX_ATTEMPTS = 3  # a batch whose worker dies this often is an error, not bad luck
OBJECT_STORE_BYTES = 128 * 2**20  # local object store, plus twice the task's own size
CONNECT_TIMEOUT_S = 5.0
HEAD_HINT = ("To use a cluster: `ray start --head` on one machine, `ray start --address HEAD_IP:6379` on the "
             "others, then --address auto on the head machine or --address HEAD_IP:6379 anywhere (under Ray's "
             "token authentication, the default, an explicit address also needs RAY_AUTH_MODE=token and the "
             "head's token in ~/.ray/auth_token or RAY_AUTH_TOKEN). Without an address wann starts Ray locally.")

Packed = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def pack_nets(nets: Sequence[Net]) -> Packed:
    """Concatenate nets into flat arrays: header int64 [B, 5] (n_in, n_out, nodes, edges, shared); act, indptr,
    src int32; cw float64, empty when every multiplier is 1 (weight agnostic nets): a batch stays small
    enough for Ray to send inline rather than through its object store."""
    header = np.array([[n.n_in, n.n_out, n.act.size, n.src.size, int(n.shared)] for n in nets],
                      dtype=np.int64).reshape(len(nets), 5)
    cw = np.concatenate([n.cw for n in nets]).astype(np.float64)
    return (header,
            np.concatenate([n.act for n in nets]).astype(np.int32),
            np.concatenate([n.indptr for n in nets]).astype(np.int32),
            np.concatenate([n.src for n in nets]).astype(np.int32),
            cw if np.any(cw != 1.0) else cw[:0])


def unpack_nets(packed: Packed) -> list[Net]:
    """The nets of ``pack_nets``: writable contiguous int64/float64 views into one copy of each array (numba
    sees the array types of compiled nets; Ray's arrays are read-only)."""
    header, act, indptr, src, cw = packed
    act, indptr, src = (x.astype(np.int64) for x in (act, indptr, src))
    cw = np.array(cw) if cw.size else np.ones(src.size)
    nets, a, p, e = [], 0, 0, 0
    for n_in, n_out, n_nodes, n_edges, shared in header.tolist():
        nets.append(Net(n_in, n_out, act[a : a + n_nodes], indptr[p : p + n_nodes + 1], src[e : e + n_edges],
                        cw[e : e + n_edges], bool(shared)))
        a, p, e = a + n_nodes, p + n_nodes + 1, e + n_edges
    return nets


class EvalWorker:
    """The actor body: holds the task and scores packed batches."""

    def __init__(self, task: Task, weights: np.ndarray) -> None:
        self.task = task
        self.weights = np.asarray(weights, dtype=np.float64)
        warm = compile_genome(Genome.minimal(task.n_inputs, task.n_outputs, 1.0, np.random.default_rng(0)))
        self.score(pack_nets([warm]), np.zeros(1, dtype=np.int64))  # load the compiled kernels now

    def pid(self) -> int:
        return os.getpid()

    def score(self, packed: Packed, seeds: np.ndarray) -> np.ndarray:
        return score_batch(self.task, self.weights, unpack_nets(packed), seeds.tolist())


_RemoteWorker = ray.remote(num_cpus=1, max_restarts=0, max_task_retries=0)(EvalWorker)


def _local_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS
        return os.cpu_count() or 1


def _batches(n: int, n_workers: int) -> list[np.ndarray]:
    """Index arrays covering range(n), strided: BATCHES_PER_WORKER per worker, fewer where that would
    leave a batch under MIN_BATCH nets; none for n = 0."""
    k = max(1, min(n_workers * BATCHES_PER_WORKER, n // MIN_BATCH)) if n else 0
    return [np.arange(b, n, k) for b in range(k)]


def _connect(address: str) -> None:
    """Join an existing cluster; UserError (fast, without Ray's minutes of retries) when it is not there."""
    if "://" not in address:
        from ray._private.services import canonicalize_bootstrap_address

        try:
            target = canonicalize_bootstrap_address(address)  # "auto": RAY_ADDRESS or the last `ray start`
        except (ConnectionError, ValueError) as exc:
            raise UserError(f"Ray address {address!r}: no Ray cluster found ({exc}). {HEAD_HINT}") from None
        host, _, port = target.rpartition(":")
        try:
            socket.create_connection((host, int(port)), timeout=CONNECT_TIMEOUT_S).close()
        except (OSError, ValueError) as exc:
            raise UserError(f"Ray address {address!r}: cannot reach a Ray head node at {target} ({exc}). "
                            f"{HEAD_HINT}") from None
    try:
        ray.init(address=address, logging_level=logging.WARNING)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise UserError(f"Ray address {address!r}: cannot connect to the Ray cluster ({exc}). {HEAD_HINT}") from None


class _Job:
    """One submission: its batches (packed), the scores so far, and its tasks out on the actors."""

    def __init__(self, nets: Sequence[Net], seeds: np.ndarray, n_workers: int, n_weights: int,
                 n_rollouts: int) -> None:
        self.batches = _batches(len(nets), n_workers)
        self.packed = [pack_nets([nets[i] for i in idx]) for idx in self.batches]
        self.seeds = seeds
        self.out = np.empty((len(nets), n_weights, n_rollouts))
        self.queue, self.attempts = deque(range(len(self.batches))), [0] * len(self.batches)
        self.pending: dict = {}  # ObjectRef -> (batch, slot, actor)
        self.load = [0] * n_workers  # tasks out on each actor slot


class RayEvaluator:
    """Evaluates on Ray actors; same interface and same scores as ``SerialEvaluator``.

    ``workers`` = 0 means one actor per CPU (local cores, or the cluster's CPUs).
    ``address`` = "" starts a private local Ray instance; "auto" or "host:port" joins
    a running cluster. If Ray is already initialised in this process it is used as is.
    ``retries`` counts batches resubmitted after a worker died.
    """

    def __init__(self, task: Task, weights: Sequence[float], workers: int = 0, address: str = "") -> None:
        self.task = task
        self.weights = np.asarray(weights, dtype=np.float64)
        self.retries = 0
        self._actors: list = []
        self._owns_connection = False
        try:
            if not ray.is_initialized():
                if address:
                    _connect(address)
                else:
                    n_cpus = workers or _local_cores()
                    task_bytes = len(ray.cloudpickle.dumps(task))
                    try:
                        ray.init(address="local", num_cpus=n_cpus, include_dashboard=False,
                                 object_store_memory=OBJECT_STORE_BYTES + 2 * task_bytes,
                                 logging_level=logging.WARNING)
                    except (ConnectionError, RuntimeError, ValueError) as exc:
                        raise UserError(f"could not start Ray locally ({exc}); "
                                        "run with --backend serial to evaluate without Ray") from None
                self._owns_connection = True
            cpus = int(ray.cluster_resources().get("CPU", 0))
            n = workers or cpus
            if not 1 <= n <= cpus:
                raise UserError(f"workers = {workers}: the Ray cluster has {cpus} CPUs; "
                                f"use --workers between 1 and {cpus}, or 0 for all")
            self._task_ref = ray.put(task)  # large read-only task data goes to the object store once
            self._actors = [self._new_actor() for _ in range(n)]
            try:
                ray.get([a.pid.remote() for a in self._actors])
            except RayActorError as exc:
                raise UserError(f"the Ray workers could not start ({exc}); every node needs this Python "
                                "environment with wann installed") from None
        except BaseException:
            self.close()
            raise

    @property
    def workers(self) -> int:
        return len(self._actors)

    def _new_actor(self):
        return _RemoteWorker.remote(self._task_ref, self.weights)

    def pids(self) -> list[int]:
        """Process ids of the current actors."""
        return ray.get([a.pid.remote() for a in self._actors])

    def evaluate(self, nets: Sequence[Net], seeds: Sequence[int],
                 stop: Callable[[], bool] | None = None) -> np.ndarray:
        """Scores [P, n_weights, n_rollouts] of nets[i] under seed seeds[i], in order
        (``stop``: see ``wann.evaluation.Evaluator``; polled every 0.1 s while waiting)."""
        return self.submit(nets, seeds)(stop)

    def submit(self, nets: Sequence[Net], seeds: Sequence[int]) -> Result:
        """Hand the nets' batches to the actors now; the returned ``result(stop=None)`` waits for
        the scores of ``evaluate(nets, seeds)``. Collect one submission before submitting the next."""
        if len(nets) != len(seeds):
            raise ValueError("one seed per net")
        job = _Job(nets, np.asarray(seeds, dtype=np.int64), self.workers, self.weights.size, self.task.n_rollouts)
        self._dispatch(job)
        return lambda stop=None: self._collect(job, stop)

    def _dispatch(self, job: _Job) -> None:
        """Queue the job's waiting batches on the actors, round robin, up to ``IN_FLIGHT`` each."""
        for _ in range(IN_FLIGHT):
            for slot in range(self.workers):
                if job.queue and job.load[slot] < IN_FLIGHT:
                    b = job.queue.popleft()
                    actor = self._actors[slot]
                    job.pending[actor.score.remote(job.packed[b], job.seeds[job.batches[b]])] = (b, slot, actor)
                    job.load[slot] += 1

    def _collect(self, job: _Job, stop: Callable[[], bool] | None) -> np.ndarray:
        while job.pending:
            done, _ = ray.wait(list(job.pending), num_returns=1, timeout=None if stop is None else 0.1)
            if stop is not None and stop():
                raise KeyboardInterrupt
            for ref in done:
                b, slot, actor = job.pending.pop(ref)
                job.load[slot] -= 1
                try:
                    job.out[job.batches[b]] = ray.get(ref)
                except RayActorError as exc:
                    job.attempts[b] += 1
                    if job.attempts[b] >= MAX_ATTEMPTS:
                        raise RuntimeError(f"a batch of {len(job.batches[b])} networks killed its Ray worker "
                                           f"{job.attempts[b]} times; last error: {exc}") from exc
                    if self._actors[slot] is actor:
                        self._replace(slot, exc)
                    job.queue.appendleft(b)
                    self.retries += 1
            self._dispatch(job)
        return job.out

    def _replace(self, slot: int, exc: Exception) -> None:
        log.warning("Ray worker %d died mid-generation (%s); started a new one and resubmitted its batches",
                    slot, type(exc).__name__)
        ray.kill(self._actors[slot], no_restart=True)
        self._actors[slot] = self._new_actor()

    def close(self) -> None:
        """Remove our actors; shut down the local instance or disconnect from the cluster (never stop it)."""
        if ray.is_initialized():
            for actor in self._actors:
                ray.kill(actor, no_restart=True)
            if self._owns_connection:
                ray.shutdown()
        self._actors = []
        self._owns_connection = False

    def __enter__(self) -> RayEvaluator:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
