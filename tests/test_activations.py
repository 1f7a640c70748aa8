import ast
import inspect

import numpy as np
import pytest
import torch

from wann import activation_kernels, activations
from wann.classify import logits
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


# Literal values, computed independently with mpmath at 60 digits, of the reference's formulas in
# float64: sin/cos of the rounded argument fl(pi x) (numpy's np.sin(np.pi * x)), exp(-fl(x*x)/2).
POINTS = [-10000000.3, -3.7, -0.5, 0.0, 1 / 3, 2.5, 1000000.25, 1000000000.7, 1e20]
LITERAL = {
    1: POINTS,
    2: [0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0],
    3: [-0.8090169947933668, 0.8090169943749477, -1.0, 0.0, 0.8660254037844386, 1.0, 0.7071067810072417,
        0.8090170479896327, -0.3940709604247648],
    4: [0.0, 0.0010647662366679196, 0.8824969025845955, 1.0, 0.9459594689067654, 0.04393693362340742, 0.0, 0.0, 0.0],
    5: [-1.0, -0.9987782412811312, -0.46211715726000974, 0.0, 0.32151273753163434, 0.9866142981514303, 1.0, 1.0,
        1.0],
    6: [0.0, 0.024127021417669196, 0.37754066879814546, 0.5, 0.5825702064623147, 0.9241418199787564, 1.0, 1.0,
        1.0],
    7: [-v for v in POINTS],
    8: [abs(v) for v in POINTS],
    9: [max(v, 0.0) for v in POINTS],
    10: [0.5877852517165684, 0.5877852522924728, 6.123233995736766e-17, 1.0, 0.5000000000000001,
         3.061616997868383e-16, 0.7071067813658534, -0.5877851784981826, 0.9190800172726548],
}


def _kernels(aid: int, x: np.ndarray) -> dict[str, np.ndarray]:
    """act(x) from each compiled path: scalar forward, lane-parallel forward (swing-up), classify block."""
    from wann.activation_kernels import activate_block
    from wann.network import forward_lanes

    net = Net(n_in=1, n_out=1, act=np.array([1, 1, aid, 1]), indptr=np.array([0, 0, 0, 1, 2]),
              src=np.array([1, 2]), cw=np.ones(2), shared=True)
    vals = np.zeros((4, x.size))
    vals[0], vals[1] = 1.0, x
    forward_lanes(vals, 2, net.indptr, net.src, net.cw, net.act, np.ones(x.size), x.size)
    block = np.empty_like(x)
    activate_block(aid, x.copy(), 0, 0, np.ones(x.size), 0, block, 0, 1, x.size)
    return {"scalar": forward(net, x[:, None], 1.0)[:, 0], "lanes": vals[3], "classify": block}


@pytest.mark.parametrize("aid", activations.ALL)
def test_every_kernel_gives_the_literal_values_including_large_arguments(aid):
    x, want = np.array(POINTS), np.array(LITERAL[aid])
    np.testing.assert_allclose(activations.apply(aid, x), want, rtol=5e-16, atol=0)  # the numpy formula
    for name, got in _kernels(aid, x).items():
        np.testing.assert_allclose(got, want, rtol=5e-16, atol=0, err_msg=f"{name} kernel")
        assert np.all((got == 0) == (want == 0)), name


@pytest.mark.parametrize("aid", [3, 10])
def test_sin_cos_stay_exact_on_both_sides_of_the_fast_range(aid):
    from wann.fastmath import PI_X_EXACT

    x = np.concatenate([np.linspace(-3, 3, 61) * PI_X_EXACT, [np.nextafter(PI_X_EXACT, 0), PI_X_EXACT, 1e15, -1e300]])
    want = activations.apply(aid, x)
    for name, got in _kernels(aid, x).items():
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-15, err_msg=f"{name} kernel")
        assert np.all(np.abs(got) <= 1.0), name


def test_validate_rejects_unknown_ids():
    with pytest.raises(ValueError, match="invalid activation ids"):
        activations.validate([1, 11], "here")


# ---- the table and every form of it --------------------------------------------------
X_EVERY_FORM = np.array([0.0, 0.5, -0.5, 3.0, -3.0, 1e3, -1e3, 1e25, -1e25])
UNKNOWN = [0, 11, -1, 99]


def _one_node_net(aid: int) -> Net:
    """x -> hidden node ``aid`` -> linear output: computes act(w * x)."""
    return Net(n_in=1, n_out=1, act=np.array([1, 1, aid, 1]), indptr=np.array([0, 0, 0, 1, 2]),
               src=np.array([1, 2]), cw=np.ones(2), shared=True)


def _every_form(aid: int, x: np.ndarray) -> dict[str, np.ndarray]:
    """act(x) from each numba form called directly, the compiled paths, the classify kernel and torch."""
    row = x.copy()
    activation_kernels.activate_row(aid, row, 0, np.ones(x.size), x.size)
    forms = {"scalar": np.array([activation_kernels.activate(aid, v) for v in x.tolist()]), "row": row,
             "torch": activations.apply_torch(aid, torch.tensor(x, dtype=torch.float64)).numpy(),
             # weights -1, 1: the node is fed by an input only, so act(x) comes from act(-x) by the mirror
             "logits": logits(_one_node_net(aid), x[None, :], [-1.0, 1.0])[1, 0]}
    return forms | _kernels(aid, x)


@pytest.mark.parametrize("aid", activations.ALL)
def test_every_form_agrees_with_the_numpy_form(aid):
    want = activations.apply(aid, X_EVERY_FORM)
    for name, got in _every_form(aid, X_EVERY_FORM).items():
        np.testing.assert_allclose(got, want, rtol=5e-16, atol=4e-15, err_msg=f"{name} form")


@pytest.mark.parametrize("aid", UNKNOWN)
def test_an_unknown_id_raises_in_python_forms_and_gives_nan_in_kernels(aid):
    x = X_EVERY_FORM
    for form in (activations.get, lambda a: activations.apply(a, x),
                 lambda a: activations.apply_torch(a, torch.tensor(x))):
        with pytest.raises(ValueError, match=r"unknown activation id .*valid ids: \[1, 2, 3"):
            form(aid)
    row = x.copy()
    activation_kernels.activate_row(aid, row, 0, np.ones(x.size), x.size)
    kernels = _kernels(aid, x) | {"scalar call": np.array([activation_kernels.activate(aid, 0.5)]), "row": row,
                                  "logits": logits(_one_node_net(aid), x[None, :], [-1.0, 1.0]).ravel()}
    for name, got in kernels.items():
        assert np.all(np.isnan(got)), name


def test_the_table_ids_equal_every_dispatcher_ids():
    tree = ast.parse(inspect.getsource(activation_kernels))
    for fn in ("activate", "activate_row", "activate_block"):
        node = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == fn)
        ids = {c.comparators[0].value for c in ast.walk(node) if isinstance(c, ast.Compare)
               and isinstance(c.left, ast.Name) and c.left.id == "aid"}
        assert ids == set(activations.ALL), fn
    assert len(activations.ALL) == len(activations.TABLE) == len(set(activations.NAMES.values()))


@pytest.mark.parametrize("a", [a for a in activations.TABLE if a.mirror is not None], ids=lambda a: a.name)
def test_the_mirror_symmetry_of_the_table_holds(a):
    sign, offset = activation_kernels.MIRROR_SIGN[a.id], activation_kernels.MIRROR_OFFSET[a.id]
    x = np.linspace(-4, 4, 81)
    np.testing.assert_allclose(a.numpy(-x), sign * a.numpy(x) + offset, rtol=0, atol=1e-15)


def test_the_table_module_does_not_import_torch_or_numba():
    import subprocess
    import sys

    code = "import sys, wann.activations; assert not {'torch', 'numba'} & set(sys.modules), sorted(sys.modules)"
    subprocess.run([sys.executable, "-c", code], check=True)
