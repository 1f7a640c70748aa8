"""Benchmark of prune_baselines on LeNet-300-100 (784 inputs): training throughput, scorers, selection.

Rows (CPU seconds of this process, median of several runs, one torch thread):
  train_epoch      one epoch of 60k samples, batch 60, Adam: prune_baselines' in-memory masked loop
  baseline_epoch   the same with torch.utils.data.DataLoader + nn.Sequential + default Adam, unmasked
                   (the usual tutorial loop), measured in the same run
  synflow_100      SynFlow pruning to 1800 weights, 100 iterations, float64
  obd_diag_10k     the exact OBD Hessian diagonal over 10k samples, float64
  keep_top_k       one global keep_top_k over the 266,200 weights
Epoch times are measured on a slice and scaled to 60k samples. Synthetic inputs (speed does not
depend on the data). ``--quick`` runs in well under a minute.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import median_time, print_table, result_line  # noqa: E402

from prune_baselines.data import Dataset  # noqa: E402
from prune_baselines.masks import Masks  # noqa: E402
from prune_baselines.models import build_model  # noqa: E402
from prune_baselines.obd import hessian_diagonal  # noqa: E402
from prune_baselines.scoring import keep_top_k, magnitude_scores  # noqa: E402
from prune_baselines.synflow import synflow_prune  # noqa: E402
from prune_baselines.train import TrainConfig, train  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(1)
    n = 2000 if args.quick else 12000
    reps = 2 if args.quick else 5
    rng = np.random.default_rng(0)
    x = torch.as_tensor(rng.random((n, 784), dtype=np.float32))
    y = torch.as_tensor(rng.integers(0, 10, n))
    data = Dataset(x, y, x[:100], y[:100], name="synthetic")
    scale = 60000 / n
    clock = time.process_time

    model = build_model("lenet300", 784, seed=0)
    ones = Masks.ones(model)
    half = keep_top_k(magnitude_scores(model, ones), ones, ones.count() // 2)
    ours = median_time(lambda: train(model, half, data, TrainConfig(epochs=1), seed=0), reps, clock) * scale

    def baseline() -> None:
        net = torch.nn.Sequential(torch.nn.Linear(784, 300), torch.nn.ReLU(), torch.nn.Linear(300, 100),
                                  torch.nn.ReLU(), torch.nn.Linear(100, 10))
        opt = torch.optim.Adam(net.parameters(), lr=1.2e-3)
        loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=60, shuffle=True)
        for xb, yb in loader:
            loss = torch.nn.functional.cross_entropy(net(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
    base = median_time(baseline, reps, clock) * scale
    syn = median_time(lambda: synflow_prune(model, ones, 1800, iterations=100), reps, clock)
    xo = torch.as_tensor(rng.random((10000, 784), dtype=np.float32))
    obd = median_time(lambda: hessian_diagonal(model, half, xo), reps, clock)
    scores = magnitude_scores(model, ones)
    ktk = median_time(lambda: keep_top_k(scores, ones, 1800), reps, clock)

    imp_min = 24 * 5 * ours / 60
    print_table(["what", "cpu_s", "note"], [
        ["train_epoch", ours, "masked, fused Adam, in memory"],
        ["baseline_epoch", base, f"DataLoader loop; ours is {base / ours:.2f}x faster"],
        ["synflow_100", syn, "100 iterations to 1800 weights"],
        ["obd_diag_10k", obd, "exact diagonal, 10k samples"],
        ["keep_top_k", ktk, "global, 266200 weights"],
        ["imp_seed_est_min", imp_min, "24 levels x 5 epochs (to 1.8k), training only"],
    ])
    print(result_line(train_epoch_s=ours, baseline_epoch_s=base, speedup=base / ours, synflow_100_s=syn,
                      obd_diag_10k_s=obd, keep_top_k_s=ktk, imp_seed_est_min=imp_min))


if __name__ == "__main__":
    main()
