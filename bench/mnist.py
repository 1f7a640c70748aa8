"""MNIST-256 evaluation throughput: the batched classification kernel against per-node forwards.

Network: a random genome grown with the real mutation operators to ~690 nodes (256 inputs + bias,
~423 hidden, 10 outputs) and 1849 enabled connections, hidden activations drawn from the MNIST
set (no step), as the paper's champion. One individual = 6 shared weights x a 1000-image minibatch,
logits and the cross-entropy per weight. Baselines, measured in the same run:

- before: ``bench/mnist_baseline.py``, the kernel as it was before the speed work (calls interleaved with
  the current kernel's, with the Horner polynomials of ``bench/fastmath_baseline.py``; the bench prints how far
  the two kernels' logits differ, and checks that the current kernel's do not depend on the chunk size);
- reference style: the reference's ``ann.act`` -- a dense [N, N] weight matrix and, per node,
  ``np.dot(node_values, W[:, i])`` then the activation in numpy, then softmax and -log;
- numpy per node: ``wann.network.forward_numpy`` (sums only the real edges);
- numba per sample: ``wann.network.forward`` (the scalar kernel, one sample at a time).

    python bench/mnist.py [--quick] [--data-dir PATH]

Times are CPU seconds of this process (``time.process_time``), BLAS limited to one thread: on a
shared machine this is far steadier than wall time. Real MNIST images are used when found (``--data-dir``, ``$WANN_MNIST_DIR`` or ../shared/data/mnist),
else uniform random pixels (the speed does not depend on the values).
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one core, also for the reference style's np.dot

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
import mnist_baseline as baseline  # noqa: E402
from common import cpu_model, median_time, paired_times, print_table, result_line  # noqa: E402

from wann import classify  # noqa: E402
from wann.activations import apply as apply_act  # noqa: E402
from wann.genome import Genome  # noqa: E402
from wann.mutation import Innovations, add_connection, add_node, change_activation  # noqa: E402
from wann.network import compile_genome, forward, forward_numpy  # noqa: E402
from wann.tasks.mnist import ACTIVATIONS  # noqa: E402

WEIGHTS = np.array([-2.0, -1.0, -0.5, 0.5, 1.0, 2.0])


def grown_genome(n_nodes: int, n_conns: int, seed: int) -> Genome:
    """Grow a 256-10 genome to n_nodes nodes and n_conns enabled connections, mixed activations."""
    rng = np.random.default_rng(seed)
    g = Genome.minimal(256, 10, 0.05, rng)
    inn = Innovations.after([g])
    while g.node_id.size < n_nodes:
        g = add_node(g, rng, inn, ACTIVATIONS)
    while g.n_connections < n_conns:
        g = add_connection(g, rng, inn)
    for _ in range(3 * g.n_hidden):
        g = change_activation(g, rng, ACTIVATIONS)
    return g


def minibatch(data_dir: str, n: int) -> tuple[np.ndarray, np.ndarray, str]:
    """(x [n, 256], y [n], description)."""
    folder = data_dir or os.environ.get("WANN_MNIST_DIR") or str(Path(__file__).resolve().parents[2] / "shared/data/mnist")
    try:
        from wann.tasks.mnist import load_split

        x, y = load_split(folder, "train")
        idx = np.random.default_rng(0).choice(y.size, n, replace=False)
        return x[idx], y[idx], f"MNIST training images from {folder}"
    except Exception as exc:  # noqa: BLE001 -- any problem: fall back to random pixels
        rng = np.random.default_rng(0)
        return rng.random((n, 256)), rng.integers(0, 10, n), f"random pixels ({type(exc).__name__})"


def reference_style(genome: Genome, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The reference's ann.act per weight: dense weight matrix, np.dot per node; then -log softmax."""
    topo = genome.topological_order()
    by_id = np.argsort(genome.node_id, kind="stable")
    kind = genome.node_kind
    # bias, inputs and outputs in id order (the columns of x and of the logits), hidden in topological order
    order = np.r_[by_id[kind[by_id] == 4], by_id[kind[by_id] == 1], topo[kind[topo] == 3], by_id[kind[by_id] == 2]]
    pos = {int(n): i for i, n in enumerate(genome.node_id[order])}
    n = order.size
    acts = genome.node_act[order]
    first = genome.n_inputs + 1
    losses = []
    for w in WEIGHTS:
        wmat = np.zeros((n, n))
        for s, d, e in zip(genome.conn_src.tolist(), genome.conn_dst.tolist(), genome.conn_enabled.tolist()):
            if e:
                wmat[pos[s], pos[d]] = w
        node_act = np.zeros((x.shape[0], n))
        node_act[:, 0] = 1.0
        node_act[:, 1:first] = x
        for i in range(first, n):
            node_act[:, i] = apply_act(int(acts[i]), np.dot(node_act, wmat[:, i]).squeeze())
        out = node_act[:, -genome.n_outputs:]
        e = np.exp(out.T - out.max(axis=1))
        p = (e / e.sum(axis=0)).T
        losses.append(np.mean(-np.log(p[np.arange(y.size), y])))
    return np.array(losses)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer repeats (under a minute)")
    ap.add_argument("--data-dir", default="", help="MNIST folder (default: $WANN_MNIST_DIR, ../shared/data/mnist)")
    args = ap.parse_args()
    repeats, base_repeats = (5, 1) if args.quick else (21, 3)

    t0 = time.perf_counter()
    g = grown_genome(690, 1849, 0)
    grow_s = time.perf_counter() - t0
    net = compile_genome(g)
    x, y, what = minibatch(args.data_dir, 1000)
    xt = np.ascontiguousarray(x.T)
    from_inputs = int(np.count_nonzero(net.src < net.first))
    print(f"network: {g.node_id.size} nodes ({g.n_hidden} hidden, depth {int(net.depth().max())}), "
          f"{g.n_connections} connections ({from_inputs} from bias/inputs, {net.src.size - from_inputs} "
          f"from hidden nodes); grown in {grow_s:.1f} s")
    print(f"minibatch: 1000 {what}; 6 shared weights {WEIGHTS.tolist()}")

    def kernel(chunk: int = classify.DEFAULT_CHUNK):
        return classify.cross_entropy(classify.logits(net, xt, WEIGHTS, chunk), y)

    def before():
        return classify.cross_entropy(baseline.logits(net, xt, WEIGHTS, baseline.DEFAULT_CHUNK), y)

    ours = kernel()
    now = [classify.logits(net, xt, WEIGHTS, c) for c in (classify.DEFAULT_CHUNK, 32, 1000)]
    was = baseline.logits(net, xt, WEIGHTS, baseline.DEFAULT_CHUNK)
    same_chunks = all(np.array_equal(a, now[0]) for a in now[1:])
    finite_was = np.isfinite(was)
    logit_diff = float(np.max(np.abs(now[0] - was)[finite_was] / np.maximum(np.abs(was[finite_was]), 1.0),
                              initial=0.0))
    with np.errstate(divide="ignore"):
        ref_loss = reference_style(g, x, y)
    finite = np.isfinite(ref_loss)
    agree = float(np.max(np.abs(ours - ref_loss)[finite] / np.abs(ref_loss[finite]), initial=0.0))
    print(f"cross-entropy per weight: {np.round(ours, 4).tolist()}")
    print(f"reference style: {np.round(ref_loss, 4).tolist()} (inf: a softmax probability underflowed "
          f"to 0); max relative difference where finite: {agree:.1e}")
    print(f"logits the same at chunks {classify.DEFAULT_CHUNK}, 32, 1000: {'yes' if same_chunks else 'NO'}; "
          f"against the kernel before (Horner's polynomials, bench/fastmath_baseline.py): max difference "
          f"{logit_diff:.1e} relative (since 0.2.0 the polynomials run in Estrin's order)")

    t_kernel, t_before = paired_times([kernel, before], repeats)
    rows = [[f"kernel before (bench/mnist_baseline.py), chunk {baseline.DEFAULT_CHUNK}", t_before * 1e3,
             t_before / t_kernel],
            [f"kernel now, chunk {classify.DEFAULT_CHUNK} (default)", t_kernel * 1e3, 1.0]]
    for chunk in (32, 256, 1000):
        t = median_time(lambda: kernel(chunk), repeats, time.process_time)
        rows.append([f"kernel now, chunk {chunk}", t * 1e3, t / t_kernel])
    t_compile = median_time(lambda: compile_genome(g), repeats, time.process_time)
    t_numba = median_time(lambda: [forward(net, x, w) for w in WEIGHTS], base_repeats, time.process_time)
    rows.append(["numba scalar forward, per sample", t_numba * 1e3, t_numba / t_kernel])
    t_np = median_time(lambda: [forward_numpy(g, x, w) for w in WEIGHTS], base_repeats, time.process_time)
    rows.append(["numpy per node (forward_numpy)", t_np * 1e3, t_np / t_kernel])
    t_ref = median_time(lambda: reference_style(g, x, y), base_repeats, time.process_time)
    rows.append(["reference style (dense np.dot per node)", t_ref * 1e3, t_ref / t_kernel])
    model, ghz = cpu_model()
    print(f"\none individual = 6 weights x 1000 images, float64; CPU: {model} at {ghz:.2f} GHz "
          f"(LLVM target {llvm_cpu()})")
    print(f"CPU time, one core, median of {repeats} (baselines {base_repeats}); before and now interleaved")
    print_table(["evaluation", "ms/individual", "time / kernel now"], rows)
    print(f"(outside the kernel, per individual and generation: compile_genome {t_compile * 1e3:.1f} ms)")
    print(result_line(ms_per_individual=t_kernel * 1e3, ms_per_individual_before=t_before * 1e3,
                      speedup_vs_before=t_before / t_kernel, same_logits_across_chunks=int(same_chunks), max_logit_diff_vs_before=logit_diff,
                      speedup_vs_numpy=t_ref / t_kernel, speedup_vs_forward_numpy=t_np / t_kernel,
                      speedup_vs_numba_scalar=t_numba / t_kernel, compile_genome_ms=t_compile * 1e3,
                      max_rel_diff_ce=agree))


def llvm_cpu() -> str:
    """The CPU name LLVM compiles numba kernels for (its SIMD width follows from it)."""
    import llvmlite.binding as llvm

    return llvm.get_host_cpu_name()


if __name__ == "__main__":
    main()
