import numpy as np

from wann.config import SearchConfig
from wann.search import Search


def make(pop=20, **kw):
    cfg = SearchConfig(pop_size=pop, tournament_size=3, **kw)
    return Search(cfg, 5, 1, tuple(range(1, 11)), np.random.default_rng(0))


def test_elites_are_the_top_ranked_survivors_unchanged():
    s = make(pop=20, cull_ratio=0.2, elite_ratio=0.25, prob_moo=0.0)  # rank on (mean, max)
    pop = [g.copy() for g in s.population]
    mean = np.arange(20, dtype=float)  # individual 19 is best on both objectives
    s.tell(mean, mean)
    # 20 - 4 culled = 16, elites floor(16 * 0.25) = 4: individuals 19, 18, 17, 16
    for k, idx in enumerate([19, 18, 17, 16]):
        assert s.population[k].to_dict() == pop[idx].to_dict()
    assert len(s.population) == 20


def test_children_come_from_survivors_with_one_mutation():
    s = make(pop=30, cull_ratio=0.5, elite_ratio=0.0, prob_moo=0.0)
    before = s.population
    mean = np.arange(30, dtype=float)
    s.tell(mean, mean)
    survivors = {id(g) for g in before[15:]}
    assert survivors  # the better half
    assert len(s.population) == 30
    # each child differs from some survivor by at most one mutation: node/conn counts grow by <= (1, 2)
    for child in s.population:
        assert any(0 <= child.conn_src.size - p.conn_src.size <= 2 and 0 <= child.node_id.size - p.node_id.size <= 1
                   and np.array_equal(child.conn_src[: p.conn_src.size], p.conn_src) for p in before[15:])


def test_state_round_trip_continues_identically():
    a = make(pop=16)
    mean = np.linspace(0, 1, 16)
    a.tell(mean, mean)
    b = Search.from_state(a.cfg, a.activations, a.state(), [g.copy() for g in a.population])
    a.tell(mean[::-1], mean)
    b.tell(mean[::-1], mean)
    assert [g.to_dict() for g in a.population] == [g.to_dict() for g in b.population]
