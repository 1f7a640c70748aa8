"""Ray evaluation: same scores and logs as serial, survives a dead worker, runs against a real head node."""
from __future__ import annotations

import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest
import ray

from tests.conftest import REPO
from tests.helpers import random_genome
from wann.cli import main
from wann.config import config_from_dict
from wann.errors import UserError
from wann.evaluation import SerialEvaluator
from wann.network import compile_genome
from wann.ray_evaluation import BATCHES_PER_WORKER, MIN_BATCH, RayEvaluator, _batches, pack_nets, unpack_nets
from wann.run import TIME_KEYS, Run
from wann.rundir import read_log
from wann.tasks.swingup import SwingUpOptions, SwingUpTask

WEIGHTS = [-2.0, -1.0, -0.5, 0.5, 1.0, 2.0]
SMALL = {
    "run": {"generations": 6, "checkpoint_every": 2, "champion_reps": 3, "seed": 11},
    "task": {"name": "swingup", "rollouts": 2, "max_steps": 400},
    "search": {"pop_size": 24, "tournament_size": 3},
}
QUICK = str(REPO / "configs" / "quick.toml")
SHORT = ["--set", "run.generations=3", "--set", "search.pop_size=16", "--set", "run.champion_reps=3"]
HEAD_CPUS = 4  # logical CPUs: room for this module's evaluator and a CLI run beside it


def nets_and_seeds(n: int = 40):
    nets = [compile_genome(random_genome(s, n_mutations=30)) for s in range(n)]
    return nets, [1000 + (i % 3) for i in range(n)]


def strip(rows):
    return [{k: v for k, v in r.items() if k not in TIME_KEYS} for r in rows]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def session_processes(sid: int) -> list[str]:
    """Processes still alive in session ``sid`` (Ray puts its workers in their own process groups, not sessions)."""
    ps = subprocess.run(["ps", "-eo", "sid=,pid=,args="], capture_output=True, text=True).stdout
    return [line for line in ps.splitlines() if line.split(None, 1)[0] == str(sid)]


def wait_gone(sid: int, timeout: float = 30.0) -> list[str]:
    deadline = time.time() + timeout
    while (left := session_processes(sid)) and time.time() < deadline:
        time.sleep(0.2)
    return left


def cli(*args, env=None, **kw):
    return subprocess.run([sys.executable, "-m", "wann.cli", *args], capture_output=True, text=True, cwd=REPO,
                          env=env, **kw)


# ---- no Ray needed ----------------------------------------------------------------------------------

@pytest.mark.parametrize("tuned", [False, True])
def test_pack_unpack_round_trip(tuned):
    nets, _ = nets_and_seeds(7)
    if tuned:  # one net with its own weights: the batch carries every multiplier
        g = random_genome(3, n_mutations=30)
        g.conn_weight = np.linspace(-1.0, 2.0, g.conn_src.size)
        nets[2] = compile_genome(g)
    packed = pack_nets(nets)
    assert packed[4].size == (sum(n.cw.size for n in nets) if tuned else 0)
    packed = tuple(x.copy() for x in packed)
    for x in packed:
        x.flags.writeable = False  # as Ray hands them over
    back = unpack_nets(packed)
    assert len(back) == 7
    for a, b in zip(nets, back):
        assert (a.n_in, a.n_out, a.shared) == (b.n_in, b.n_out, b.shared)
        for f in ("act", "indptr", "src", "cw"):
            assert np.array_equal(getattr(a, f), getattr(b, f)) and getattr(a, f).dtype == getattr(b, f).dtype
            assert getattr(b, f).flags.writeable and getattr(b, f).flags.c_contiguous


@pytest.mark.parametrize("n, workers", [(192, 2), (20, 2), (3, 4), (1, 1), (64, 16)])
def test_batches_cover_the_population_once(n, workers):
    batches = _batches(n, workers)
    assert np.array_equal(np.sort(np.concatenate(batches)), np.arange(n))
    assert len(batches) <= max(1, n // MIN_BATCH) and len(batches) <= BATCHES_PER_WORKER * workers
    if n >= BATCHES_PER_WORKER * workers * MIN_BATCH:
        assert len(batches) == BATCHES_PER_WORKER * workers  # every worker busy
    assert _batches(0, workers) == []


def test_ray_is_the_default_backend_on_all_cores():
    e = config_from_dict({}, []).evaluation
    assert (e.backend, e.workers, e.address) == ("ray", 0, "")


def test_unreachable_address_is_a_user_error(tmp_path):
    port = free_port()
    r = cli("evolve", QUICK, "--out", str(tmp_path / "r"), "--address", f"127.0.0.1:{port}", *SHORT)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert f"127.0.0.1:{port}" in r.stderr and "ray start --head" in r.stderr
    assert f"wann resume {tmp_path / 'r'}" in r.stderr  # the folder stays usable
    assert main(["resume", str(tmp_path / "r"), "--backend", "serial", "--generations", "1", "--quiet"]) == 0
    assert len(read_log(tmp_path / "r")) == 1


# ---- a real head node on loopback ------------------------------------------------------------------

@pytest.fixture(scope="module")
def head():
    """`ray start --head --block` in its own session, on free ports; stopped (and checked gone) afterwards."""
    temp = tempfile.mkdtemp(prefix="wr", dir="/tmp")  # short: Ray's socket paths live under it
    port = free_port()
    ports = {f"--{name}={free_port()}" for name in ("ray-client-server-port", "dashboard-port",
             "dashboard-agent-listen-port", "dashboard-agent-grpc-port", "metrics-export-port", "runtime-env-agent-port")}
    cmd = [str(Path(sys.executable).parent / "ray"), "start", "--head", "--block", "--node-ip-address=127.0.0.1",
           f"--port={port}", *sorted(ports), "--include-dashboard=false", f"--num-cpus={HEAD_CPUS}",
           f"--object-store-memory={100 * 2**20}", f"--temp-dir={temp}", "--disable-usage-stats"]
    log = open(Path(temp) / "head.log", "w")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    address = f"127.0.0.1:{port}"
    try:
        deadline = time.time() + 120
        while "Ray runtime started" not in (Path(temp) / "head.log").read_text():
            assert proc.poll() is None and time.time() < deadline, (Path(temp) / "head.log").read_text()[-3000:]
            time.sleep(0.2)
        yield address
    finally:
        proc.terminate()  # `ray start --block` stops its node's processes as it exits
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        left = wait_gone(proc.pid)
        for line in left:  # the head's own processes only (its session), never anything else
            os.kill(int(line.split()[1]), signal.SIGKILL)
        shutil.rmtree(temp, ignore_errors=True)
        assert not left, left


@pytest.fixture(scope="module")
def cluster(head):
    """This process connected to the head node (token authentication on, as Ray defaults)."""
    from ray._private.authentication.authentication_token_setup import _enable_token_auth

    # What `export RAY_AUTH_MODE=token` does before a client starts; Ray caches the mode per process.
    _enable_token_auth()
    ray.init(address=head, logging_level=logging.WARNING)
    try:
        yield head
    finally:
        ray.shutdown()


@pytest.fixture(scope="module")
def ray2(cluster):
    task = SwingUpTask(SwingUpOptions(rollouts=3, max_steps=1000))
    with RayEvaluator(task, WEIGHTS, workers=2) as ev:
        yield ev


@pytest.mark.slow
def test_ray_scores_equal_serial_for_any_worker_count(ray2):
    nets, seeds = nets_and_seeds(40)
    serial = SerialEvaluator(ray2.task, WEIGHTS).evaluate(nets, seeds)
    assert np.array_equal(ray2.evaluate(nets, seeds), serial)
    assert np.array_equal(ray2.evaluate(nets[:5], seeds[:5]), serial[:5])  # fewer nets than batches
    assert ray2.evaluate([], []).shape == (0, 6, 3)
    with RayEvaluator(ray2.task, WEIGHTS, workers=1) as one:
        assert one.workers == 1
        assert np.array_equal(one.evaluate(nets, seeds), serial)
    assert ray.cluster_resources()["CPU"] == HEAD_CPUS  # closing an evaluator leaves the cluster up


@pytest.mark.slow
def test_serial_and_ray_runs_log_the_same(ray2, tmp_path):
    logs = {}
    for name in ("serial", "ray"):
        run = Run.create(config_from_dict(SMALL, []), tmp_path / name, {})
        ev = SerialEvaluator(run.task, run.cfg.search.weights) if name == "serial" else \
            RayEvaluator(run.task, run.cfg.search.weights, workers=2)
        try:
            run.run(ev)
        finally:
            ev.close()
        logs[name] = strip(read_log(tmp_path / name))
    assert len(logs["ray"]) == 6 and logs["ray"] == logs["serial"]
    assert (tmp_path / "ray" / "champion.json").read_text() == (tmp_path / "serial" / "champion.json").read_text()


def test_a_run_resumes_across_backends(ray2, tmp_path):
    """Serial to generation 3, Ray to 6, serial to 8: the same as serial all the way."""
    def go(folder, until, ev_kind, resume):
        run = Run.resume(folder) if resume else Run.create(config_from_dict(SMALL, []), folder, {})
        ev = SerialEvaluator(run.task, run.cfg.search.weights) if ev_kind == "serial" else \
            RayEvaluator(run.task, run.cfg.search.weights, workers=2)
        try:
            run.run(ev, until=until)
        finally:
            ev.close()

    go(tmp_path / "a", 8, "serial", False)
    go(tmp_path / "b", 3, "serial", False)
    go(tmp_path / "b", 6, "ray", True)
    go(tmp_path / "b", 8, "serial", True)
    assert strip(read_log(tmp_path / "a")) == strip(read_log(tmp_path / "b"))
    assert (tmp_path / "a" / "champion.json").read_text() == (tmp_path / "b" / "champion.json").read_text()


@pytest.mark.slow
def test_a_worker_killed_mid_generation_changes_nothing(ray2, monkeypatch, caplog):
    # a batch of 240 nets is ~0.1 s of work, so the kill lands while it runs (with 24 nets, a faster
    # kernel could finish the victim's batch before the kill took effect, and nothing was retried)
    nets, seeds = nets_and_seeds(480)
    serial = SerialEvaluator(ray2.task, WEIGHTS).evaluate(nets, seeds)
    victim_pid = ray2.pids()[0]
    real_wait = ray.wait
    killed = []

    def wait_then_kill(refs, **kw):  # first wait of the generation: batches are queued on every actor
        if not killed:
            ray.kill(ray2._actors[0])
            killed.append(True)
        return real_wait(refs, **kw)

    monkeypatch.setattr(ray, "wait", wait_then_kill)
    before = ray2.retries
    with caplog.at_level(logging.WARNING, logger="wann.ray_evaluation"):
        scores = ray2.evaluate(nets, seeds)
    assert np.array_equal(scores, serial)
    assert ray2.retries > before
    assert any("died mid-generation" in r.getMessage() for r in caplog.records)
    assert victim_pid not in ray2.pids() and ray2.workers == 2


@pytest.mark.slow
def test_more_workers_than_cluster_cpus_is_a_user_error(cluster):
    with pytest.raises(UserError, match=f"has {HEAD_CPUS} CPUs"):
        RayEvaluator(SwingUpTask(SwingUpOptions()), WEIGHTS, workers=HEAD_CPUS + 1)


@pytest.mark.slow
def test_evolve_against_the_head_node_by_address(cluster, tmp_path):
    env = dict(os.environ, RAY_AUTH_MODE="token")
    r = cli("evolve", QUICK, "--out", str(tmp_path / "ray"), "--address", cluster, "--workers", "2", "--quiet",
            *SHORT, env=env, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    assert main(["evolve", QUICK, "--out", str(tmp_path / "serial"), "--backend", "serial", "--quiet", *SHORT]) == 0
    assert strip(read_log(tmp_path / "ray")) == strip(read_log(tmp_path / "serial"))
    assert len(read_log(tmp_path / "ray")) == 3
    assert ray.cluster_resources()["CPU"] == HEAD_CPUS  # the cluster outlives the run


# ---- a private local instance, from the command line ---------------------------------------------

@pytest.mark.slow
def test_ctrl_c_on_local_ray_checkpoints_and_leaves_no_processes(tmp_path):
    out = tmp_path / "r"
    p = subprocess.Popen([sys.executable, "-m", "wann.cli", "evolve", QUICK, "--out", str(out), "--backend", "ray",
                          "--workers", "2", "--set", "run.generations=100000", "--set", "run.checkpoint_every=1000"],
                         cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        deadline = time.time() + 120
        while time.time() < deadline and len(read_log(out) if out.exists() else []) < 2:
            assert p.poll() is None
            time.sleep(0.1)
        assert len(session_processes(p.pid)) > 3  # the driver and Ray's processes
        os.killpg(p.pid, signal.SIGINT)  # as a terminal's Ctrl-C: the whole foreground group
        _, err = p.communicate(timeout=120)
    finally:
        if p.poll() is None:
            p.kill()
    assert p.returncode == 130, err[-3000:]
    assert "wann resume" in err and "Traceback" not in err
    assert (out / "checkpoint.npz").exists()
    assert wait_gone(p.pid) == []
