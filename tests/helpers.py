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
