import numpy as np
import pytest

from wann import activations
from wann.network import Net, forward


@pytest.mark.parametrize("aid", activations.ALL)
def test_numba_scalar_equals_numpy_formula(aid):
    x = np.linspace(-5, 5, 1001)
    # a one-hidden-node net computes act(w * x) exactly: x -> hidden -> linear output
    net = Net(n_in=1, n_out=1, act=np.array([1, 1, aid, 1]), indptr=np.array([0, 0, 0, 1, 2]),
              src=np.array([1, 2]), cw=np.ones(2), shared=True)
    got = forward(net, x[:, None], 1.0)[:, 0]
    # fastmath: within a few ulp of numpy (exact range reduction for sin(pi x), cos(pi x))
    np.testing.assert_allclose(got, activations.apply(aid, x), rtol=0, atol=4e-15)


def test_reference_formulas_at_known_points():
    assert activations.apply(2, np.array([0.0, 1e-9]))[0] == 0.0  # step is x > 0
    assert activations.apply(6, np.array(0.0)) == 0.5
    assert activations.apply(4, np.array(0.0)) == 1.0
    assert activations.apply(10, np.array(1.0)) == pytest.approx(-1.0)
    assert activations.apply(3, np.array(0.5)) == pytest.approx(1.0)
    assert len(activations.NAMES) == 10


def test_validate_rejects_unknown_ids():
    with pytest.raises(ValueError, match="invalid activation ids"):
        activations.validate([1, 11], "here")
