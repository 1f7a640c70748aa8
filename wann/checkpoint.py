"""The run checkpoint: one ``checkpoint.npz`` (a numpy archive, read with ``allow_pickle=False``).

Arrays:

* ``state``: a 0-d string, JSON of format ``wann.checkpoint/2``: generation and evaluation
  counters, elapsed seconds, both random generators' states, the innovation counters, the
  champion (``wann.champion`` form, or null), the population's ``phenotype`` (``wann.genome``;
  absent in checkpoints written before it existed, which load as ``"enabled"``) and the
  resolved ``config`` the run used (absent in older checkpoints);
* the population, flat: ``node_offsets`` [P+1] indexes ``node_id``, ``node_kind``, ``node_act``
  (every genome's nodes one after the other); ``conn_offsets`` [P+1] indexes ``conn_innov``,
  ``conn_src``, ``conn_dst``, ``conn_enabled``. Ids and innovations as int32, kinds and
  activations as int8. Population genomes carry no per-connection weights.

Written to a temp file in the same folder and renamed, so a checkpoint is always whole. A MNIST
population (960 genomes of about 2,800 genes each, ``bench/checkpoint.py``): 37 MB written in
0.25 s, against 123 MB and 8.8 s as JSON genomes (the earlier format, which cost a MNIST run with
a checkpoint every 8 generations about 30 % of its wall time).
"""
from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from wann.errors import UserError
from wann.genome import LEGACY_PHENOTYPE, Genome, GenomeError
from wann.io import dumps, write_atomic

FORMAT = "wann.checkpoint/2"
FILE = "checkpoint.npz"
_NODE = (("node_id", np.int32), ("node_kind", np.int8), ("node_act", np.int8))
_CONN = (("conn_innov", np.int32), ("conn_src", np.int32), ("conn_dst", np.int32), ("conn_enabled", np.bool_))


def _offsets(sizes: Sequence[int]) -> np.ndarray:
    return np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)


def pack_population(population: Sequence[Genome]) -> dict[str, np.ndarray]:
    """The population as flat arrays (module docstring)."""
    if any(g.conn_weight is not None for g in population):
        raise ValueError("population genomes carry no connection weights")
    out = {"node_offsets": _offsets([g.node_id.size for g in population]),
           "conn_offsets": _offsets([g.conn_src.size for g in population])}
    for name, dtype in _NODE + _CONN:
        parts = [getattr(g, name) for g in population]
        flat = np.concatenate(parts) if parts else np.zeros(0)
        if dtype == np.int32 and flat.size and flat.max() >= 2**31:
            raise ValueError(f"{name} exceeds int32")
        out[name] = flat.astype(dtype)
    return out


def unpack_population(arrays: dict[str, np.ndarray], phenotype: str = LEGACY_PHENOTYPE) -> list[Genome]:
    """Genomes from ``pack_population``'s arrays, each validated (GenomeError if one is not a valid graph)."""
    for name, dtype in _NODE + _CONN + (("node_offsets", np.int64), ("conn_offsets", np.int64)):
        if name not in arrays or arrays[name].dtype != dtype or arrays[name].ndim != 1:
            got = f"dtype {arrays[name].dtype}, {arrays[name].ndim}-d" if name in arrays else "missing"
            raise GenomeError(f"array {name} should be 1-d {np.dtype(dtype).name} ({got})")
    no, co = arrays["node_offsets"], arrays["conn_offsets"]
    if no.size != co.size or no.size < 1:
        raise GenomeError("node_offsets and conn_offsets disagree on the population size")
    for off, name in ((no, "node"), (co, "conn")):
        if off[0] != 0 or np.any(np.diff(off) < 0) or off[-1] != arrays[f"{name}_enabled" if name == "conn"
                                                                      else "node_id"].size:
            raise GenomeError(f"{name}_offsets do not index the {name} arrays")
    pop = []
    for k in range(no.size - 1):
        n, c = slice(int(no[k]), int(no[k + 1])), slice(int(co[k]), int(co[k + 1]))
        g = Genome(*(arrays[name][n].astype(np.int64) for name, _ in _NODE),
                   *(arrays[name][c].astype(np.int64) for name, _ in _CONN[:3]),
                   arrays["conn_enabled"][c].astype(bool), None, phenotype)
        g.validate()
        pop.append(g)
    return pop


def encode(state: dict, population: Sequence[Genome]) -> bytes:
    """The bytes of a ``checkpoint.npz`` holding ``state`` and ``population``."""
    phenotypes = {g.phenotype for g in population}
    if len(phenotypes) > 1:
        raise ValueError(f"population genomes have different phenotypes {sorted(phenotypes)}")
    head = {"format": FORMAT} | ({"phenotype": phenotypes.pop()} if phenotypes else {})
    buf = io.BytesIO()
    np.savez(buf, state=np.array(dumps(head | state)), **pack_population(population))
    return buf.getvalue()


def save(folder: str | Path, state: dict, population: Sequence[Genome]) -> Path:
    """Write ``folder/checkpoint.npz`` atomically; returns its path."""
    path = Path(folder) / FILE
    write_atomic(path, encode(state, population))
    return path


def load(folder: str | Path) -> tuple[dict, list[Genome]]:
    """(state, population) of ``folder/checkpoint.npz``; UserError naming the file if missing or corrupt."""
    from wann.schemas import CheckpointState, check

    path = Path(folder) / FILE
    if not path.exists():
        raise UserError(f"{path} not found: {folder} has no checkpoint to resume from "
                        "(a run writes one every run.checkpoint_every generations and on Ctrl-C)")
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
        state = json.loads(str(arrays.pop("state")))
        if not isinstance(state, dict) or state.get("format") != FORMAT:
            got = state.get("format") if isinstance(state, dict) else type(state).__name__
            raise UserError(f"{path}: unknown format {got!r}, expected {FORMAT!r}")
        check(CheckpointState, state, "state")
        return state, unpack_population(arrays, state.get("phenotype", LEGACY_PHENOTYPE))
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, GenomeError) as exc:
        raise UserError(f"{path} is corrupt ({exc}); resume from a copy of the run folder or start again") from None
