"""Test helpers: random genomes grown by the real mutation operators."""
from __future__ import annotations

import numpy as np

from wann.activations import ALL
from wann.genome import Genome
from wann.mutation import Innovations, mutate

PROBS = (0.20, 0.25, 0.05, 0.50)


def random_genome(seed: int, n_in: int = 5, n_out: int = 1, n_mutations: int = 40,
                  activations: tuple[int, ...] = ALL) -> Genome:
    rng = np.random.default_rng(seed)
    g = Genome.minimal(n_in, n_out, 0.5, rng)
    inn = Innovations.after([g])
    for _ in range(n_mutations):
        g = mutate(g, rng, inn, PROBS, activations)
    return g


def wide_genome(seed: int = 0, n_in: int = 256, n_out: int = 10, n_first: int = 90, n_second: int = 30) -> Genome:
    """A crowded MNIST-like champion: ``n_first`` hidden nodes at depth 1 (three inputs each, then an output
    or a depth-2 node), ``n_second`` at depth 2."""
    from wann.genome import BIAS, HIDDEN, INPUT, OUTPUT

    rng = np.random.default_rng(seed)
    kinds = np.array([BIAS] + [INPUT] * n_in + [OUTPUT] * n_out + [HIDDEN] * (n_first + n_second))
    ids = np.arange(kinds.size)
    first, second = ids[1 + n_in + n_out:1 + n_in + n_out + n_first], ids[1 + n_in + n_out + n_first:]
    outs = ids[1 + n_in:1 + n_in + n_out]
    acts = np.ones(kinds.size, dtype=np.int64)
    acts[first.min():] = rng.choice(ALL, first.size + second.size)
    src, dst = [], []
    for h in first.tolist():
        for i in rng.choice(n_in, 3, replace=False).tolist():
            src.append(1 + i)
            dst.append(h)
        src.append(h)
        dst.append(int(rng.choice(second) if rng.random() < 0.4 else rng.choice(outs)))
    for h in second.tolist():
        src += [int(rng.choice(first)), h]
        dst += [h, int(rng.choice(outs))]
    c = len(src)
    return Genome(ids, kinds, acts, np.arange(c), np.array(src), np.array(dst), np.ones(c, bool))
