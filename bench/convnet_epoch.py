"""Time per MNIST-784 training epoch on one thread: the LeNet-5-like ConvNet (with and without the BN L1
penalty of network slimming) against LeNet-300-100.

Adam (lr 1.2e-3), batch 60, real MNIST training images; a plain training loop (no masks) for every model.
Measured over ``--iters`` iterations after 20 warm-up ones and extrapolated to one epoch (1000 iterations of
60 = 60k images). Prints wall and CPU seconds per epoch.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from prune_baselines.convnet import bn_l1_penalty, build_convnet  # noqa: E402
from prune_baselines.data import load_dataset  # noqa: E402
from prune_baselines.models import build_model  # noqa: E402


def epoch_seconds(model, x, y, iters: int, l1: float = 0.0, batch: int = 60) -> tuple[float, float]:
    """(wall, CPU) seconds per 60k-image epoch, extrapolated from ``iters`` timed iterations."""
    opt = torch.optim.Adam(model.parameters(), lr=1.2e-3)
    perm = torch.from_numpy(np.random.default_rng(0).permutation(x.shape[0]))

    def step(i):
        idx = perm[(i * batch) % x.shape[0]:][:batch]
        loss = F.cross_entropy(model(x[idx]), y[idx])
        if l1:
            loss = loss + bn_l1_penalty(model, l1)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    model.train()
    for i in range(20):
        step(i)
    t0, c0 = time.perf_counter(), time.process_time()
    for i in range(iters):
        step(20 + i)
    scale = (x.shape[0] // batch) / iters
    return (time.perf_counter() - t0) * scale, (time.process_time() - c0) * scale


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="/work/shared/data/mnist")
    ap.add_argument("--iters", type=int, default=200)
    args = ap.parse_args()
    torch.set_num_threads(1)
    data = load_dataset(args.data, 784)
    x, y = data.x_train, data.y_train
    rows = [("convnet (LeNet-5-like, BN)", build_convnet(0), 0.0),
            ("convnet + BN L1 1e-4", build_convnet(0), 1e-4),
            ("lenet300 (MLP 300-100)", build_model("lenet300", 784, seed=0), 0.0)]
    print(f"{'model':30s} {'params':>8s} {'wall s/epoch':>13s} {'cpu s/epoch':>12s}")
    for name, model, l1 in rows:
        wall, cpu = epoch_seconds(model, x, y, args.iters, l1)
        print(f"{name:30s} {sum(p.numel() for p in model.parameters()):8d} {wall:13.1f} {cpu:12.1f}")


if __name__ == "__main__":
    main()
