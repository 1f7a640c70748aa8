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


def record_parents(monkeypatch):
    """Patch the search's mutate to record each child's parent (the genome object it copies)."""
    import wann.search

    parents = []

    def fake_mutate(g, rng, innov, probs, acts):
        parents.append(g)
        return g.copy()

    monkeypatch.setattr(wann.search, "mutate", fake_mutate)
    return parents


def test_culled_individuals_are_never_parents_and_every_child_has_one_mutation(monkeypatch):
    parents = record_parents(monkeypatch)
    s = make(pop=50, cull_ratio=0.2, elite_ratio=0.1, prob_moo=0.0)
    s.cfg.tournament_size = 1  # winners uniform over the pool: culled ones would be drawn often
    start = list(s.population)
    mean = np.arange(50, dtype=float)  # individual i has rank 49 - i
    culled = {id(g) for g in start[:10]}
    for _ in range(10):
        s.population = list(start)
        before = len(parents)
        s.tell(mean, mean)
        assert len(parents) - before == 50 - 4  # floor(40 * 0.1) = 4 elites, one mutate call per other child
    assert not culled & {id(g) for g in parents}
    assert len({id(g) for g in parents} & {id(g) for g in start[10:20]}) >= 5  # the worst survivors do breed


def test_the_parent_is_the_better_of_two_tournament_winners(monkeypatch):
    """Parent position in the ranked pool of n: the best of 2 tournaments of size t is the minimum
    of 2t uniform draws, so P(position >= k) = ((n - k) / n)^(2t)."""
    parents = record_parents(monkeypatch)
    s = make(pop=50, cull_ratio=0.2, elite_ratio=0.0, prob_moo=0.0)
    s.cfg.tournament_size = t = 2
    start = list(s.population)
    position = {id(g): 49 - i for i, g in enumerate(start)}  # mean = arange: individual 49 ranks first
    for _ in range(40):
        s.population = list(start)
        s.tell(np.arange(50, dtype=float), np.arange(50, dtype=float))
    pos = np.array([position[id(g)] for g in parents], dtype=float)
    n, k = 40, np.arange(1, 40)
    expected = np.sum(((n - k) / n) ** (2 * t))  # E[pos] = sum_k P(pos >= k): 7.5
    worse = np.sum(1 - (1 - ((n - k) / n) ** t) ** 2)  # the worse of the two winners: 17.5
    se = pos.std() / np.sqrt(pos.size)
    assert abs(pos.mean() - expected) < 4 * se and abs(worse - expected) > 20 * se
