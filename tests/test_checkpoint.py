"""checkpoint.npz: the population round-trips exactly; bad files are clear errors; no pickle."""
from __future__ import annotations

import json

import numpy as np
import pytest

from wann import checkpoint as ckpt
from wann.errors import UserError
from wann.genome import Genome
from wann.mutation import Innovations, mutate


def _population(n: int = 12) -> list[Genome]:
    rng = np.random.default_rng(0)
    pop = [Genome.minimal(4, 2, 0.5, rng) for _ in range(n)]
    inn = Innovations.after(pop)
    for k in range(n):
        for _ in range(2 * k):
            pop[k] = mutate(pop[k], rng, inn, (0.3, 0.3, 0.1, 0.3), (1, 2, 3, 9))
    return pop


@pytest.mark.parametrize("phenotype", ["reference", "enabled"])
def test_population_round_trips_exactly(tmp_path, phenotype):
    pop = _population()
    for g in pop:
        g.phenotype = phenotype
    rng = np.random.default_rng(1).bit_generator.state
    state = {"generation": 3, "evaluations": 36, "elapsed": 1.5, "eval_rng": rng, "champion": None,
             "search": {"next_node": 99, "next_conn": 999, "rng": rng}}
    ckpt.save(tmp_path, state, pop)
    got_state, got = ckpt.load(tmp_path)
    assert got_state == {"format": ckpt.FORMAT, "phenotype": phenotype} | json.loads(json.dumps(state))
    assert len(got) == len(pop) and all(g.phenotype == phenotype for g in got)
    assert [g.n_connections for g in got] == [g.n_connections for g in pop]
    for a, b in zip(pop, got):
        for name in ("node_id", "node_kind", "node_act", "conn_innov", "conn_src", "conn_dst", "conn_enabled"):
            assert np.array_equal(getattr(a, name), getattr(b, name)) and getattr(b, name).dtype == getattr(a, name).dtype
        assert b.conn_weight is None


def test_no_pickle_and_clear_errors(tmp_path):
    ckpt.save(tmp_path, {}, _population(3))
    with np.load(tmp_path / ckpt.FILE, allow_pickle=False) as z:
        assert all(z[k].dtype != object for k in z.files)
    arrays = dict(np.load(tmp_path / ckpt.FILE, allow_pickle=False))
    arrays["conn_dst"] = arrays["conn_dst"].copy()
    arrays["conn_dst"][0] = arrays["conn_src"][0]  # a self-loop: not a valid genome
    np.savez(tmp_path / ckpt.FILE, **arrays)
    with pytest.raises(UserError, match="checkpoint.npz is corrupt"):
        ckpt.load(tmp_path)
    arrays["state"] = np.array(json.dumps({"format": "wann.checkpoint/1"}))
    np.savez(tmp_path / ckpt.FILE, **arrays)
    with pytest.raises(UserError, match="unknown format"):
        ckpt.load(tmp_path)
