"""One generation of the reference WANN search, as ask/tell.

``ask()`` returns the population to evaluate; ``tell(mean, best)`` ranks it
(NSGA-II on (mean, 1/connections) with probability ``prob_moo``, else on
(mean, max over weights)), culls the worst ``cull_ratio``, keeps the top
``elite_ratio`` of the rest unchanged, and fills the population with children:
each is a copy of the better of two tournament winners with exactly one mutation.
"""
from __future__ import annotations

import numpy as np

from wann.config import SearchConfig
from wann.genome import Genome
from wann.mutation import Innovations, mutate
from wann.ranking import nsga_rank, wann_objectives


class Search:
    """Population, innovation counters and the search's random generator."""

    def __init__(self, cfg: SearchConfig, n_in: int, n_out: int, activations: tuple[int, ...],
                 rng: np.random.Generator, population: list[Genome] | None = None,
                 innovations: Innovations | None = None) -> None:
        self.cfg = cfg
        self.activations = tuple(cfg.activations) or activations
        self.rng = rng
        self.population = population or [Genome.minimal(n_in, n_out, cfg.p_init, rng, cfg.phenotype)
                                         for _ in range(cfg.pop_size)]
        if any(g.phenotype != cfg.phenotype for g in self.population):
            raise ValueError(f"population genomes must have the search's phenotype {cfg.phenotype!r}")
        self.innovations = innovations or Innovations.after(self.population)
        self.last_objective = ""

    def ask(self) -> list[Genome]:
        """The individuals to evaluate this generation."""
        return self.population

    def tell(self, mean: np.ndarray, best: np.ndarray) -> None:
        """Rank the evaluated population and replace it with the next generation."""
        cfg, rng, pop = self.cfg, self.rng, self.population
        use_conns = bool(rng.random() < cfg.prob_moo)
        self.last_objective = "connections" if use_conns else "max"
        conns = np.array([g.n_connections for g in pop])
        rank = nsga_rank(wann_objectives(mean, best, conns, use_conns), cfg.crowding)
        pool = [pop[i] for i in np.argsort(rank, kind="stable")]
        n_cull = int(np.floor(cfg.cull_ratio * len(pool)))
        pool = pool[: len(pool) - n_cull]
        # non-finite individuals rank last and are never elites (wann.evaluation: the non-finite rule)
        n_elite = min(int(np.floor(len(pool) * cfg.elite_ratio)), int(np.isfinite(mean).sum()))
        children = [g.copy() for g in pool[:n_elite]]
        n_children = cfg.pop_size - n_elite
        a = rng.integers(len(pool), size=(n_children, cfg.tournament_size)).min(axis=1)
        b = rng.integers(len(pool), size=(n_children, cfg.tournament_size)).min(axis=1)
        for parent in np.minimum(a, b).tolist():  # ranks are sorted: the lower index is fitter
            children.append(mutate(pool[parent], rng, self.innovations, cfg.mutation_probs, self.activations))
        self.population = children

    def mark(self) -> tuple:
        """What ``rewind`` needs to undo the ``tell`` calls that follow (cheap: no copies)."""
        return self.population, self.state(), self.last_objective

    def rewind(self, mark: tuple) -> None:
        """Back to the state ``mark()`` recorded."""
        self.population, state, self.last_objective = mark
        self.rng.bit_generator.state = state["rng"]
        self.innovations = Innovations(int(state["next_node"]), int(state["next_conn"]))

    # ---- checkpoint state ------------------------------------------------
    def state(self) -> dict:
        """Everything but the population (JSON-ready); ``from_state(cfg, acts, state, population)`` restores it."""
        return {
            "next_node": self.innovations.next_node,
            "next_conn": self.innovations.next_conn,
            "rng": self.rng.bit_generator.state,
        }

    @classmethod
    def from_state(cls, cfg: SearchConfig, activations: tuple[int, ...], state: dict,
                   pop: list[Genome]) -> Search:
        rng = np.random.default_rng()
        rng.bit_generator.state = state["rng"]
        inn = Innovations(int(state["next_node"]), int(state["next_conn"]))
        return cls(cfg, pop[0].n_inputs, pop[0].n_outputs, activations, rng, pop, inn)
