"""Helpers shared by the benchmark scripts: timing medians and table printing."""
from __future__ import annotations

import re
import statistics
import time
from typing import Callable

import numpy as np

from wann.genome import Genome
from wann.mutation import Innovations, add_connection, add_node, change_activation


def median_time(fn: Callable[[], object], repeats: int, clock: Callable[[], float] = time.perf_counter) -> float:
    """Median time of ``fn()`` over ``repeats`` calls (after one warm-up call).

    ``clock=time.process_time`` measures this process's CPU time: for single-threaded
    code it is the per-core cost even when other work shares the machine.
    """
    fn()
    times = []
    for _ in range(repeats):
        t0 = clock()
        fn()
        times.append(clock() - t0)
    return statistics.median(times)


def print_table(headers: list[str], rows: list[list]) -> None:
    """A plain aligned text table."""
    cells = [[str(h) for h in headers]] + [[f"{c:.4g}" if isinstance(c, float) else str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    for n, r in enumerate(cells):
        print("  ".join(c.rjust(w) for c, w in zip(r, widths)))
        if n == 0:
            print("  ".join("-" * w for w in widths))


def result_line(**values) -> str:
    """The machine-readable last line: RESULT key=value ..."""
    return "RESULT " + " ".join(f"{k}={v:.6g}" if isinstance(v, float) else f"{k}={v}" for k, v in values.items())


def grown_genome(n_in: int, n_out: int, n_hidden: int, n_conns: int, seed: int, p_init: float = 1.0) -> Genome:
    """A random genome grown by the real mutation operators to n_hidden hidden nodes and n_conns connections."""
    rng = np.random.default_rng(seed)
    g = Genome.minimal(n_in, n_out, p_init, rng)
    inn = Innovations.after([g])
    acts = tuple(range(1, 11))
    while g.n_hidden < n_hidden:
        g = add_node(g, rng, inn, acts)
    while g.n_connections < n_conns:
        g = add_connection(g, rng, inn)
    for _ in range(3 * n_hidden):
        g = change_activation(g, rng, acts)
    return g


def cpu_model() -> tuple[str, float]:
    """(the CPU's model name, its clock in GHz) from /proc/cpuinfo (the machines of this project vary)."""
    try:
        info = open("/proc/cpuinfo").read()
    except OSError:
        return "unknown CPU", float("nan")
    model = re.search(r"model name\s*:\s*(.*)", info)
    mhz = re.search(r"cpu MHz\s*:\s*([0-9.]+)", info)
    return (model.group(1).strip() if model else "?"), (float(mhz.group(1)) / 1e3 if mhz else float("nan"))


def paired_times(fns: list, repeats: int) -> list[float]:
    """Median CPU time of each fn, the calls interleaved (fn0, fn1, fn0, ...) so that load on a shared
    machine falls on all of them alike."""
    for fn in fns:
        fn()
    times = [[] for _ in fns]
    for _ in range(repeats):
        for t, fn in zip(times, fns):
            t0 = time.process_time()
            fn()
            t.append(time.process_time() - t0)
    return [statistics.median(t) for t in times]
