"""Masks: one bool tensor per prunable weight tensor; the only place connection counts come from.

The contract used everywhere in prune_baselines:

* ``model(x, masks)`` multiplies every weight by its mask in ``forward``;
* after every optimiser step ``masks.apply_(model)`` re-zeroes pruned weights (Adam's moments and SGD
  momentum would otherwise move them away from zero);
* weight decay is an explicit penalty on masked weights only (see :mod:`prune_baselines.train`), so
  pruned weights never feel it;
* connection counts are read from masks: ``count()`` (weights) and ``count_with_biases()`` (weights
  plus one bias per live unit: every output unit and every hidden unit with a surviving outgoing
  weight; biases themselves are never pruned); the same counts of ``on_paths()``, the weights on an
  input->output path, are the connections a network really has. ``counts()`` gives all four.

Masks are immutable: pruning returns new Masks.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from .errors import PruneError


@dataclass(frozen=True)
class Masks:
    tensors: dict[str, torch.Tensor]
    _float: dict = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for name, t in self.tensors.items():
            if t.dtype != torch.bool:
                raise PruneError(f"mask {name} must be a bool tensor, got {t.dtype}")

    # construction -------------------------------------------------------------------------------
    @classmethod
    def ones(cls, model) -> "Masks":
        return cls({n: torch.ones_like(w, dtype=torch.bool) for n, w in model.prunable()})

    @classmethod
    def from_numpy(cls, arrays: dict[str, np.ndarray]) -> "Masks":
        return cls({n: torch.from_numpy(np.asarray(a, dtype=bool).copy()) for n, a in arrays.items()})

    # queries ------------------------------------------------------------------------------------
    @property
    def names(self) -> list[str]:
        return list(self.tensors)

    def __getitem__(self, name: str) -> torch.Tensor:
        return self.tensors[name]

    def sizes(self) -> dict[str, int]:
        return {n: t.numel() for n, t in self.tensors.items()}

    def per_layer(self) -> dict[str, int]:
        """Surviving weights per tensor."""
        return {n: int(t.sum()) for n, t in self.tensors.items()}

    def count(self) -> int:
        """Surviving connections (weights only)."""
        return sum(self.per_layer().values())

    def live_units(self) -> list[int]:
        """Per layer, units whose output is used: all output units; hidden units with an outgoing weight."""
        ts = list(self.tensors.values())
        live = [int(nxt.any(dim=0).sum()) for nxt in ts[1:]]
        return live + [ts[-1].shape[0]]

    def count_with_biases(self) -> int:
        """Weights plus one bias per live unit (a hidden unit without inputs still passes its bias on)."""
        return self.count() + sum(self.live_units())

    def on_paths(self) -> "Masks":
        """The surviving weights that lie on a path from an input to an output: a weight out of a unit that no
        input reaches, or into a unit that reaches no output, is left out."""
        ts = list(self.tensors.values())
        reached = [torch.ones(ts[0].shape[1], dtype=torch.bool)]  # per layer of units: reached from an input
        for t in ts:
            reached.append((t & reached[-1]).any(dim=1))
        reaches = torch.ones(ts[-1].shape[0], dtype=torch.bool)  # units after tensor l that reach an output
        out = {}
        for l in range(len(ts) - 1, -1, -1):
            out[self.names[l]] = ts[l] & reaches[:, None] & reached[l]
            reaches = (ts[l] & reaches[:, None]).any(dim=0)
        return Masks({n: out[n] for n in self.names})

    def counts(self) -> dict[str, int]:
        """A point's connection counts: all surviving weights (``connections``, ``connections_with_biases``)
        and those on input->output paths (``effective_connections``, ``effective_connections_with_biases``)."""
        eff = self.on_paths()
        return {"connections": self.count(), "connections_with_biases": self.count_with_biases(),
                "effective_connections": eff.count(), "effective_connections_with_biases": eff.count_with_biases()}

    def density(self) -> float:
        return self.count() / sum(self.sizes().values())

    def is_subset_of(self, other: "Masks") -> bool:
        return all(bool((self[n] & ~other[n]).sum() == 0) for n in self.names)

    def as_float(self, dtype: torch.dtype = torch.float32) -> list[torch.Tensor]:
        """Masks as multipliers (cached per dtype), in layer order."""
        if dtype not in self._float:
            self._float[dtype] = [t.to(dtype) for t in self.tensors.values()]
        return self._float[dtype]

    # actions ------------------------------------------------------------------------------------
    def apply_(self, model) -> None:
        """Re-zero pruned weights in place."""
        mult = self.as_float(model.prunable()[0][1].dtype)
        with torch.no_grad():
            for (name, w), m in zip(model.prunable(), mult):
                w.mul_(m)

    def random_like(self, rng: np.random.Generator) -> "Masks":
        """A uniformly random mask with exactly the same number of survivors in every tensor."""
        out = {}
        for name, t in self.tensors.items():
            flat = np.zeros(t.numel(), dtype=bool)
            flat[rng.choice(t.numel(), size=int(t.sum()), replace=False)] = True
            out[name] = torch.from_numpy(flat.reshape(tuple(t.shape)))
        return Masks(out)

    def check_model(self, model) -> None:
        names = [n for n, _ in model.prunable()]
        if names != self.names:
            raise PruneError(f"masks are for tensors {self.names}, the model has {names}")
        for n, w in model.prunable():
            if tuple(w.shape) != tuple(self[n].shape):
                raise PruneError(f"mask {n} has shape {tuple(self[n].shape)}, weight has {tuple(w.shape)}")
