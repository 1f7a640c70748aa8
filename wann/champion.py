"""The champion: the best individual found, kept only once re-evaluation on fresh seeds confirms it.

``champion.json`` (format ``wann.champion/1``)::

    {"format": "wann.champion/1", "task": {...task options...}, "weights": [...],
     "generation": g, "fitness": mean score over reps x weights x rollouts,
     "per_weight": [mean score per shared weight], "seeds": [re-evaluation seeds],
     "genome": {...wann.genome/1...}}
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from wann.errors import UserError
from wann.genome import Genome, GenomeError
from wann.io import read_json, write_json

FORMAT = "wann.champion/1"


@dataclass
class Champion:
    genome: Genome
    generation: int
    fitness: float
    per_weight: list[float]
    seeds: list[int]

    def to_dict(self, task_options: dict, weights: list[float]) -> dict:
        return {
            "format": FORMAT,
            "task": task_options,
            "weights": list(weights),
            "generation": self.generation,
            "fitness": self.fitness,
            "per_weight": self.per_weight,
            "seeds": self.seeds,
            "genome": self.genome.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict) -> Champion:
        return cls(Genome.from_dict(data["genome"]), int(data["generation"]), float(data["fitness"]),
                   [float(v) for v in data["per_weight"]], [int(s) for s in data["seeds"]])


def rescore(scores: np.ndarray) -> tuple[float, list[float]]:
    """(fitness, per-weight means) from re-evaluation scores [reps, weights, rollouts]."""
    per_weight = scores.mean(axis=(0, 2))
    return float(per_weight.mean()), [float(v) for v in per_weight]


def save(path: str | Path, champion: Champion, task_options: dict, weights: list[float]) -> None:
    write_json(path, champion.to_dict(task_options, weights))


def load(path: str | Path) -> tuple[Champion, dict]:
    """A champion file -> (Champion, the whole JSON dict); UserError when it is not valid
    (every field strictly typed: ``wann.schemas.ChampionModel``)."""
    from wann.schemas import ChampionModel, SchemaError, check

    data = read_json(path, "champion file")
    if data.get("format") != FORMAT:
        raise UserError(f"{path}: not a champion file (format {data.get('format')!r}, expected {FORMAT!r})")
    try:
        check(ChampionModel, data, "champion")
        return Champion.from_dict(data), data
    except (SchemaError, GenomeError) as exc:
        raise UserError(f"{path}: invalid champion: {exc}") from None
