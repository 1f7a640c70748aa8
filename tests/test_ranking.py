import numpy as np
import pytest

from wann.ranking import crowding_distance, fronts, nsga_rank, wann_objectives


def test_fronts_on_a_hand_made_case():
    obj = np.array([[1, 5], [2, 4], [3, 3], [1, 1], [2, 2], [0, 0], [3, 3]])
    f = [sorted(x.tolist()) for x in fronts(obj)]
    assert f == [[0, 1, 2, 6], [4], [3], [5]]


def test_weak_domination_counts():
    # equal in one objective, better in the other: dominated
    obj = np.array([[1.0, 2.0], [1.0, 1.0]])
    assert [x.tolist() for x in fronts(obj)] == [[0], [1]]


def test_crowding_distance_hand_computed():
    d = crowding_distance(np.array([0.0, 1.0, 3.0, 4.0]))
    assert d[0] == np.inf and d[3] == np.inf
    assert d[1] == pytest.approx((3.0 - 0.0) / 4.0)
    assert d[2] == pytest.approx((4.0 - 1.0) / 4.0)


def test_reference_crowding_mode_copies_its_factor():
    v = np.array([1.0, 2.0, 4.0])
    d = crowding_distance(v, "reference")
    assert d[1] == pytest.approx(3.0 * abs(1.0 / 4.0 - 1.0))


def test_nsga_rank_front_first_then_crowding():
    obj = np.array([[0.0, 10.0], [1.0, 9.0], [5.0, 5.0], [9.0, 1.0], [10.0, 0.0], [0.0, 0.0]])
    rank = nsga_rank(obj)
    assert rank[5] == 5  # dominated by everyone
    assert set(rank[[0, 4]].tolist()) == {0, 1}  # extremes (infinite crowding) first
    assert rank[2] == 2  # the middle point is the least crowded interior point
    assert sorted(rank.tolist()) == list(range(6))


def test_objectives_use_inverse_connections_and_count_zero_as_one():
    obj = wann_objectives(np.array([1.0, 2.0]), np.array([3.0, 4.0]), np.array([0, 4]), use_conns=True)
    np.testing.assert_allclose(obj, [[1.0, 1.0], [2.0, 0.25]])
    obj = wann_objectives(np.array([1.0, 2.0]), np.array([3.0, 4.0]), np.array([0, 4]), use_conns=False)
    np.testing.assert_allclose(obj, [[1.0, 3.0], [2.0, 4.0]])
