"""Scoring networks on the MNIST test images under every evaluation (trained, shared w, signed constant)."""
from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np

from wann.compare.networks import Network
from wann.errors import UserError
from wann.network import compile_genome
from wann.tasks.mnist import evaluate

SERIES_WEIGHTS = (-2.0, -1.0, -0.5, 0.5, 1.0, 2.0)


def score(net: Network, x: np.ndarray, y: np.ndarray, weights: Sequence[float],
          select: tuple[np.ndarray, np.ndarray] | None = None) -> list[dict]:
    """Rows (ROW_FIELDS) of every evaluation of ``net`` on inputs x [N, n_in] and labels y [N].

    ``best`` rows take the w of the series with the highest accuracy on ``select`` (inputs, labels: a
    validation split) and report the test accuracy at that w; without ``select``, the w with the highest
    test accuracy (optimistic)."""
    base = {k: getattr(net, k) for k in ("series", "source", "seed", "level", "input", "connections",
                                         "connections_with_biases", "train_epochs", "train_wall_s")}
    base["kept"] = net.kept or net.connections
    rows = []
    series = np.asarray(weights, dtype=np.float64)
    for kind, genome in net.genomes.items():
        t0 = time.perf_counter()
        if kind == "trained":
            acc, _ = evaluate(compile_genome(genome), np.ones(1), x, y)
            rows.append(base | {"evaluation": "trained", "weight": 1.0, "accuracy": float(acc[0]),
                                "eval_s": time.perf_counter() - t0})
            continue
        acc, ens = evaluate(compile_genome(genome), series, x, y)
        dt = time.perf_counter() - t0
        rows += [base | {"evaluation": kind, "weight": float(w), "accuracy": float(a), "eval_s": dt}
                 for w, a in zip(series, acc)]
        b = int(np.argmax(acc if select is None else evaluate(compile_genome(genome), series, *select)[0]))
        rows.append(base | {"evaluation": f"{kind} best", "weight": float(series[b]), "accuracy": float(acc[b]),
                            "eval_s": dt})
        rows.append(base | {"evaluation": f"{kind} ensemble", "weight": None, "accuracy": ens, "eval_s": dt})
    return rows


def mnist_test_set(data_dir: str, n_inputs: int) -> tuple[np.ndarray, np.ndarray]:
    """MNIST test images (float64) at the input size of a network (256: 16x16 deskewed; 784: 28x28)."""
    return _mnist(data_dir, n_inputs, "test")


def mnist_validation_set(data_dir: str, n_inputs: int, size: int = 5000) -> tuple[np.ndarray, np.ndarray]:
    """The last ``size`` MNIST training images (float64) at the input size of a network: a split held out of the
    test set for choices such as the best shared weight. (The WANN search and the pruning baselines train on
    all 60,000 training images, so these are not unseen by the networks; they are unseen by the test.)"""
    x, y = _mnist(data_dir, n_inputs, "train")
    return x[-size:], y[-size:]


def _mnist(data_dir: str, n_inputs: int, split: str) -> tuple[np.ndarray, np.ndarray]:
    from envs.mnist import MnistDataError, load_mnist

    sizes = {256: 16, 784: 28}
    if n_inputs not in sizes:
        raise UserError(f"no MNIST form with {n_inputs} inputs (256 or 784)")
    try:
        x, y = load_mnist(data_dir or None, split, sizes[n_inputs])
    except MnistDataError as exc:
        raise UserError(str(exc)) from None
    return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.int64)


def compare(nets: Sequence[Network], data: Callable[[int], tuple[np.ndarray, np.ndarray]],
            weights: Sequence[float] = SERIES_WEIGHTS, say: Callable[[str], None] = lambda s: None,
            tick: Callable[[int], object] = lambda n: None,
            select: Callable[[int], tuple[np.ndarray, np.ndarray]] | None = None) -> list[dict]:
    """Score every network on ``data(n_inputs)``; returns all rows. ``select(n_inputs)``: the split on which
    ``best`` rows choose w (default: the test data itself). ``say``: a line per network; ``tick(1)`` after
    each (a progress bar's ``update``)."""
    cache: dict[tuple[str, int], tuple[np.ndarray, np.ndarray]] = {}

    def get(which: str, fn, n: int):
        if (which, n) not in cache:
            cache[which, n] = fn(n)
        return cache[which, n]

    rows = []
    for k, net in enumerate(nets):
        x, y = get("test", data, net.input)
        got = score(net, x, y, weights, None if select is None else get("select", select, net.input))
        rows += got
        best = max((r for r in got if r["evaluation"] != "trained" and r["evaluation"].endswith("best")),
                   key=lambda r: r["accuracy"], default=None)
        trained = next((r for r in got if r["evaluation"] == "trained"), None)
        say(f"[{k + 1}/{len(nets)}] {net.series} seed {net.seed} level {net.level}: {net.connections_with_biases} "
            f"connections" + (f", trained {100 * trained['accuracy']:.2f}%" if trained else "")
            + (f", {best['evaluation']} {100 * best['accuracy']:.2f}% (w={best['weight']:+g})" if best else ""))
        tick(1)
    return rows
