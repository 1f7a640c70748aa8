"""A pruned MLP as a Genome: same outputs as torch (trained weights) and as a direct shared-weight forward."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from prune_baselines.masks import Masks
from prune_baselines.models import build_model
from wann.genome import Genome
from wann.network import compile_genome, forward
from wann.compare.pruned_graph import live_genome, mlp_genome, shared_forward


def _pruned(seed: int = 0):
    """A trained-looking pruned MLP 6-5-4-3: random weights and biases, ~40 % of weights kept, one hidden
    unit with every incoming weight pruned (it still outputs relu(bias))."""
    model = build_model("mlp", 6, (5, 4), n_outputs=3, seed=seed)
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for layer in model.layers:
            layer.bias.copy_(torch.randn(layer.bias.shape, generator=gen))
    rng = np.random.default_rng(seed)
    masks = {n: rng.random(tuple(w.shape)) < 0.6 for n, w in model.prunable()}
    masks["layers.0.weight"][2, :] = False  # hidden unit 2 of layer 1: no inputs, only its bias
    masks["layers.1.weight"][:, 2] = True  # ... whose output is used
    m = Masks.from_numpy(masks)
    m.apply_(model)
    weights = [l.weight.detach().numpy().astype(np.float64) for l in model.layers]
    biases = [l.bias.detach().numpy().astype(np.float64) for l in model.layers]
    return model, m, weights, biases, [masks[n] for n, _ in model.prunable()]


def test_trained_graph_equals_torch():
    model, m, weights, biases, masks = _pruned()
    x = np.random.default_rng(1).normal(size=(50, 6))
    with torch.no_grad():
        ref64 = model.double()(torch.from_numpy(x), m).numpy()
    g = mlp_genome(weights, biases, masks, "trained")
    out = forward(compile_genome(g), x)
    np.testing.assert_allclose(out, ref64, rtol=1e-12, atol=1e-12)
    assert g.n_connections == sum(int(k.sum()) for k in masks) + 5 + 4 + 3  # weights + one bias per unit


def test_dead_input_unit_passes_relu_bias():
    _, _, weights, biases, masks = _pruned()
    # zero every input: hidden layer 1 becomes relu(b); unit 2 has no inputs at all, so that holds for any x
    g = mlp_genome(weights, biases, masks, "trained")
    x = np.random.default_rng(2).normal(size=(3, 6))
    h1 = np.maximum(x @ (weights[0] * masks[0]).T + biases[0], 0)
    assert np.allclose(h1[:, 2], max(biases[0][2], 0.0))
    h2 = np.maximum(h1 @ (weights[1] * masks[1]).T + biases[1], 0)
    np.testing.assert_allclose(forward(compile_genome(g), x), h2 @ (weights[2] * masks[2]).T + biases[2], rtol=1e-12)


@pytest.mark.parametrize("w", [-2.0, -0.5, 0.5, 1.0, 2.0])
def test_shared_and_signed_graph_equal_direct_computation(w):
    _, _, weights, biases, masks = _pruned(3)
    x = np.random.default_rng(4).normal(size=(40, 6))
    shared = compile_genome(mlp_genome(weights, biases, masks, "shared"))
    np.testing.assert_allclose(forward(shared, x, w), shared_forward(masks, x, w), rtol=1e-12, atol=1e-12)
    signed = compile_genome(mlp_genome(weights, biases, masks, "signed", bias_signs_from=biases))
    np.testing.assert_allclose(forward(signed, x, w), shared_forward(masks, x, w, weights, biases),
                               rtol=1e-12, atol=1e-12)
    init = [np.random.default_rng(5 + l).normal(size=wt.shape) for l, wt in enumerate(weights)]
    signed_init = compile_genome(mlp_genome(weights, biases, masks, "signed", signs_from=init))
    np.testing.assert_allclose(forward(signed_init, x, w), shared_forward(masks, x, w, init), rtol=1e-12, atol=1e-12)


def test_genome_is_valid_and_round_trips():
    _, _, weights, biases, masks = _pruned()
    g = mlp_genome(weights, biases, masks, "trained")
    g.validate()
    back = Genome.from_dict(g.to_dict())
    assert np.array_equal(back.conn_weight, g.conn_weight) and back.n_hidden == 9 and back.n_outputs == 3


def test_bad_shapes_raise():
    _, _, weights, biases, masks = _pruned()
    with pytest.raises(ValueError, match="do not chain"):
        mlp_genome(weights, biases[::-1], masks)


def test_live_genome_drops_dead_units_and_keeps_outputs():
    _, _, weights, biases, masks = _pruned(6)
    masks[1][:, 1] = False  # hidden unit 1 of layer 1 feeds nothing: dead
    masks[2][:, 3] = False  # hidden unit 3 of layer 2 feeds nothing: dead
    g = mlp_genome(weights, biases, masks, "trained")
    live = live_genome(g)
    live.validate()
    live2 = masks[2].any(axis=0)  # ids: bias 0, inputs 1..6, outputs 7..9, layer 1 10..14, layer 2 15..18
    live1 = masks[1][live2].any(axis=0)
    dead = set((10 + np.flatnonzero(~live1)).tolist()) | set((15 + np.flatnonzero(~live2)).tolist())
    assert {11, 18} <= dead
    assert set(g.node_id.tolist()) - set(live.node_id.tolist()) == dead
    assert not (np.isin(live.conn_src, list(dead)) | np.isin(live.conn_dst, list(dead))).any()
    x = np.random.default_rng(7).normal(size=(30, 6))
    np.testing.assert_array_equal(forward(compile_genome(live), x), forward(compile_genome(g), x))
