import math

import gymnasium as gym
import numpy as np
import pytest

import envs.swingup as env
from envs import trig
from tests.helpers import random_genome
from wann.network import compile_genome, forward
from wann.tasks.swingup import SwingUpOptions, SwingUpTask


def gym_episode(net, w, seed, max_steps=env.T_LIMIT):
    e = gym.make(env.ENV_ID).unwrapped
    obs, _ = e.reset(seed=seed)
    total, steps = 0.0, 0
    while True:
        action = forward(net, obs[None, :], w)[0]
        obs, r, term, trunc, _ = e.step(action)
        total += r
        steps += 1
        if term or trunc or steps >= max_steps:
            return total, steps


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_compiled_rollout_equals_gymnasium_env_loop(seed):
    net = compile_genome(random_genome(seed, n_mutations=30))
    task = SwingUpTask(SwingUpOptions(rollouts=2))
    weights = np.array([-2.0, -0.5, 1.0, 2.0])
    returns, steps = task.rollouts(net, weights, seed)
    for i, w in enumerate(weights):
        for r in range(2):
            total, n = gym_episode(net, w, seed + r)
            assert n == steps[i, r]
            assert returns[i, r] == total  # the same functions on the same values: the same bits


def test_constant_action_episode_runs_full_length_and_matches_reference_physics():
    # a net whose output is the constant bias * w: pushes the cart one way until it leaves
    from wann.genome import Genome

    g = Genome.minimal(5, 1, 0.0, np.random.default_rng(0))
    g.conn_enabled[0] = True  # bias -> output
    net = compile_genome(g)
    task = SwingUpTask(SwingUpOptions(rollouts=1))
    assert SwingUpOptions().max_steps == env.T_LIMIT == 1000  # the reference's t_limit
    _, steps = SwingUpTask(SwingUpOptions()).rollouts(net, np.array([0.0]), 5)
    assert steps[0, 0] == 1000  # zero force: the cart never leaves, the episode is truncated
    _, steps = task.rollouts(net, np.array([1.0]), 5)
    assert steps[0, 0] < 1000  # full force: terminated when |x| > 2.4


def test_reset_distribution_and_observation():
    e = gym.make(env.ENV_ID).unwrapped
    states = []
    for s in range(300):
        obs, _ = e.reset(seed=s)
        np.testing.assert_array_equal(e.state, env.initial_state(s))
        assert obs[2] == pytest.approx(np.cos(e.state[2])) and obs[3] == pytest.approx(np.sin(e.state[2]))
        states.append(e.state)
    states = np.array(states)
    np.testing.assert_allclose(states.mean(axis=0), [0, 0, np.pi, 0], atol=0.04)
    np.testing.assert_allclose(states.std(axis=0), 0.2, atol=0.03)


def test_step_carrying_sin_and_cos_equals_step_bit_for_bit():
    """The kernel's step (sin and cos of the angle carried from the previous step) and the env's step."""
    rng = np.random.default_rng(0)
    for _ in range(2000):
        x, xd, th, thd = rng.normal(0, [1.5, 3.0, 40.0, 20.0])
        a = rng.normal(0, 2)
        full = env.step(x, xd, th, thd, a)
        sc = env.step_sc(x, xd, th, thd, trig.sin(th), trig.cos(th), a)
        assert sc[:4] + sc[6:] == full
        assert (sc[4], sc[5]) == (trig.sin(sc[2]), trig.cos(sc[2]))


def scalar_episodes(net, weights, states, max_steps):
    """(returns, steps) [n_weights, n_states] of a plain Python loop over ``env.step`` and the scalar forward."""
    returns, steps = np.zeros((weights.size, len(states))), np.zeros((weights.size, len(states)), dtype=int)
    for i, w in enumerate(weights):
        for r, state in enumerate(states):
            x, xd, th, thd = state
            total = 0.0
            for t in range(max_steps):
                action = forward(net, env.observe(np.array([x, xd, th, thd]))[None, :], w)[0, 0]
                x, xd, th, thd, reward, out = env.step(x, xd, th, thd, action)
                total += reward
                if not np.isfinite(action):
                    total, out = -np.inf, True
                if out:
                    break
            returns[i, r], steps[i, r] = total, t + 1
    return returns, steps


def test_rollout_lanes_beyond_the_fast_trig_range_equal_the_scalar_loop():
    """Angles past 2^21 rad (where the lanes' branch-free sin/cos give way to libm) and ordinary ones in one
    call: every lane equals the plain loop over ``env.step``, bit for bit."""
    from wann.tasks.swingup import rollout_returns

    net = compile_genome(random_genome(5, n_mutations=30))
    states = np.array([[0.1, 0.0, 3.0, 0.5], [0.0, 0.2, 3.0e6, 1.0], [-0.3, 0.1, -trig.Y_EXACT, 0.0],
                       [0.2, -0.1, np.nextafter(trig.Y_EXACT, 0.0), -2.0]])
    weights = np.array([-1.5, 0.5, 2.0])
    got = rollout_returns(net.first, net.indptr, net.src, net.cw, net.act, weights, states, 200)
    want = scalar_episodes(net, weights, states, 200)
    np.testing.assert_array_equal(got[1], want[1])
    np.testing.assert_array_equal(got[0], want[0])


def test_fast_sin_and_cos_match_numpy_and_libm_beyond_their_range():
    rng = np.random.default_rng(1)
    y = np.concatenate([rng.uniform(-10, 10, 20000), rng.uniform(-1e6, 1e6, 2000), [0.0, -0.0, np.pi, -np.pi / 2]])
    for fast, ref in ((trig.sin, np.sin), (trig.cos, np.cos)):
        got = np.array([fast(v) for v in y.tolist()])
        np.testing.assert_allclose(got, ref(y), rtol=0, atol=1e-15)  # exact reduction: a few ulp
    for v in (trig.Y_EXACT, -3e7, 1e300, np.inf, np.nan):  # libm's, as math.sin/cos
        for fast, ref in ((trig.sin, math.sin), (trig.cos, math.cos)):
            got = fast(v)
            want = ref(v) if np.isfinite(v) else np.nan
            assert got == want or (np.isnan(got) and np.isnan(want))


def test_one_euler_step_by_hand():
    x, xd, th, thd, a = 0.1, -0.2, 3.0, 0.5, 0.7
    nx, nxd, nth, nthd, reward, out = env.step(x, xd, th, thd, a)
    s, c, f = np.sin(th), np.cos(th), 7.0
    xdd = (-2 * 0.3 * thd**2 * s + 3 * 0.5 * 9.82 * s * c + 4 * f - 4 * 0.1 * xd) / (4 * 1.0 - 3 * 0.5 * c**2)
    tdd = (-3 * 0.3 * thd**2 * s * c + 6 * 1.0 * 9.82 * s + 6 * (f - 0.1 * xd) * c) / (4 * 0.6 * 1.0 - 3 * 0.3 * c**2)
    assert (nx, nth) == pytest.approx((x + xd * 0.01, th + thd * 0.01))
    assert (nxd, nthd) == pytest.approx((xd + xdd * 0.01, thd + tdd * 0.01))
    assert reward == pytest.approx((np.cos(nth) + 1) / 2 * np.cos(nx / 2.4 * np.pi / 2))
    assert not out
    assert env.step(2.39, 5.0, 0.0, 0.0, 0.0)[5]  # crosses 2.4: out of bounds
    assert env.step(0.0, 0.0, 0.0, 0.0, 5.0)[1] == env.step(0.0, 0.0, 0.0, 0.0, 1.0)[1]  # action clipped
