import pickle

import gymnasium as gym
import numpy as np
import pytest

from tests.helpers import random_genome
from wann.cli import main as wann_main
from wann.config import config_from_dict
from wann.errors import UserError
from wann.evaluation import SerialEvaluator
from wann.genome import Genome
from wann.network import compile_genome, forward
from wann.run import Run
from wann.rundir import read_log
from wann.tasks import make_task
from wann.tasks.gym import BIPED_INPUTS, GymOptions, GymTask, NoFallPenalty


def plain_episode(task: GymTask, net, w: float, seed: int) -> tuple[float, int]:
    """The plain loop: gym.make, reset(seed), forward, action mapping, step until done."""
    env = gym.make(task.options.env_id, max_episode_steps=task.max_steps)
    if task.no_fall_penalty:
        env = NoFallPenalty(env)
    obs, _ = env.reset(seed=seed)
    total, steps = 0.0, 0
    while True:
        out = forward(net, np.ravel(obs)[None, :], w)[0]
        action = task._start + int(np.argmax(out)) if task.discrete else np.clip(out, task._low, task._high)
        obs, reward, terminated, truncated, _ = env.step(action)
        total += reward
        steps += 1
        if terminated or truncated:
            return total, steps


@pytest.mark.parametrize("env_id, reward, seed", [
    ("CartPole-v1", "standard", 0),
    ("Pendulum-v1", "standard", 1),
    ("LunarLander-v3", "standard", 2),
    ("BipedalWalker-v3", "reference", 3),
    ("BipedalWalker-v3", "standard", 3),
])
def test_adapter_scores_equal_a_plain_gymnasium_loop(env_id, reward, seed):
    task = GymTask(GymOptions(env_id=env_id, rollouts=2, reward=reward))
    net = compile_genome(random_genome(seed, task.n_inputs, task.n_outputs, n_mutations=30))
    weights = np.array([-2.0, 0.5, 2.0])
    returns, steps = task.rollouts(net, weights, 100 * seed)
    assert steps.min() > 1  # the masking is exercised: episodes of several lengths
    for i, w in enumerate(weights):
        for r in range(2):
            total, n = plain_episode(task, net, w, 100 * seed + r)
            assert n == steps[i, r]
            assert returns[i, r] == pytest.approx(total, rel=0, abs=1e-9)


def test_biped_reference_search_settings_and_standard_report():
    task = GymTask(GymOptions())
    assert (task.n_inputs, task.n_outputs, task.n_rollouts) == (24, 4, 4)
    assert task.input_names == BIPED_INPUTS and task.output_names == ("hip_1", "knee_1", "hip_2", "knee_2")
    assert task.max_steps == 401 and task.no_fall_penalty  # the reference: 1 + 400 steps, no -100
    standard = GymTask(GymOptions().standard())
    assert standard.max_steps == 1600 and not standard.no_fall_penalty
    assert GymTask(GymOptions(env_id="CartPole-v1")).max_steps == 500
    assert GymTask(GymOptions(env_id="CartPole-v1", max_steps=20)).max_steps == 20


def test_fall_penalty_is_the_only_reward_difference():
    # the same falling actions in the standard env and the reference's: equal rewards except the fall step
    std, ref = gym.make("BipedalWalker-v3"), NoFallPenalty(gym.make("BipedalWalker-v3"))
    std.reset(seed=4), ref.reset(seed=4)
    rng = np.random.default_rng(0)
    for _ in range(1600):
        action = rng.uniform(-1, 1, 4)
        _, r_std, term, _, _ = std.step(action)
        _, r_ref, term_ref, _, _ = ref.step(action)
        assert term == term_ref
        if term:
            break
        assert r_std == r_ref
    assert term and std.unwrapped.game_over
    assert r_std == -100 and abs(r_ref) < 5


def test_episode_cap_and_masking():
    task = GymTask(GymOptions(env_id="CartPole-v1", rollouts=3, max_steps=30))
    g = Genome.minimal(4, 2, 0.0, np.random.default_rng(0))  # no connections: always action 0
    returns, steps = task.rollouts(compile_genome(g), np.array([1.0, 2.0]), 5)
    assert steps.max() <= 30 and steps.min() >= 8  # pushing left ends the episode after ~10 steps
    np.testing.assert_array_equal(returns, steps)  # CartPole: reward 1 per step
    np.testing.assert_array_equal(steps[0], steps[1])  # common random numbers: same seeds for every weight


def test_action_mapping():
    cart = GymTask(GymOptions(env_id="CartPole-v1"))
    assert cart.actions(np.array([[0.3, -1.0], [-1.0, 0.3], [2.0, 2.0]])) == [0, 1, 0]
    pend = GymTask(GymOptions(env_id="Pendulum-v1"))  # Box(-2, 2, (1,))
    acts = pend.actions(np.array([[5.0], [-0.5], [-np.inf]]))
    np.testing.assert_array_equal(np.stack(acts), [[2.0], [-0.5], [-2.0]])  # (rollouts end non-finite outputs)


def test_scores_depend_only_on_net_and_seed_and_task_pickles():
    task = GymTask(GymOptions(rollouts=1))
    net = compile_genome(random_genome(1, 24, 4, n_mutations=20))
    other = compile_genome(random_genome(2, 24, 4, n_mutations=20))
    w = np.array([1.0])
    first = task.score(net, w, 9)
    task.score(other, w, 3)  # a Box2D world reused across episodes would change the next score
    clone = pickle.loads(pickle.dumps(task))
    np.testing.assert_array_equal(task.score(net, w, 9), first)
    np.testing.assert_array_equal(clone.score(net, w, 9), first)


def test_make_task_by_name_and_generic_names():
    task = make_task(GymOptions(env_id="Acrobot-v1"))
    assert (task.n_inputs, task.n_outputs) == (6, 3)
    assert task.output_names == ("action=0", "action=1", "action=2")


class _MultiBinaryEnv(gym.Env):
    observation_space = gym.spaces.Box(-1.0, 1.0, (3,))
    action_space = gym.spaces.MultiBinary(2)


class _DictObsEnv(gym.Env):
    observation_space = gym.spaces.Dict({"a": gym.spaces.Box(-1.0, 1.0, (3,))})
    action_space = gym.spaces.Discrete(2)


gym.register("WannTestMultiBinary-v0", entry_point=_MultiBinaryEnv)
gym.register("WannTestDictObs-v0", entry_point=_DictObsEnv)


@pytest.mark.parametrize("env_id, message", [
    ("FrozenLake-v1", "observation space Discrete(16)"),
    ("WannTestDictObs-v0", "observation space Dict"),
    ("WannTestMultiBinary-v0", "action space MultiBinary(2)"),
])
def test_unsupported_spaces_are_clear_errors(env_id, message):
    with pytest.raises(UserError, match="needs a Box observation space") as err:
        GymTask(GymOptions(env_id=env_id))
    assert message in str(err.value) and env_id in str(err.value)


@pytest.mark.parametrize("override, message", [
    ("task.env_id=CartPol-v1", "Did you mean: `CartPole`"),
    ("task.env_id=CartPole-v9", "doesn't exist"),
    ("task.reward=shaped", "valid: ['reference', 'standard']"),
    ("task.max_steps=-1", "max_steps >= 0"),
])
def test_bad_options_name_the_config_file(override, message):
    with pytest.raises(UserError, match="my.toml: \\[task\\]") as err:
        config_from_dict({"task": {"name": "gym", "env_id": "CartPole-v1"}}, [override], "my.toml")
    assert message in str(err.value)


def test_bad_env_kwargs_and_cli_exit_code(tmp_path, capsys):
    with pytest.raises(UserError, match="env_kwargs"):
        GymTask(GymOptions(env_id="CartPole-v1", env_kwargs={"no_such_arg": 1}))
    code = wann_main(["evolve", "configs/cartpole.toml", "--out", str(tmp_path / "r"),
                      "--set", "task.env_id=NoSuchEnv-v0"])
    err = capsys.readouterr().err
    assert code == 2 and "NoSuchEnv" in err and "configs/cartpole.toml" in err and "Traceback" not in err


@pytest.mark.slow
def test_short_cartpole_search_reaches_500_with_a_tiny_network(tmp_path):
    cfg = config_from_dict({
        "run": {"generations": 8, "champion_reps": 3, "seed": 0, "checkpoint_every": 8},
        "task": {"name": "gym", "env_id": "CartPole-v1", "rollouts": 1},
        "search": {"pop_size": 16, "tournament_size": 4},
    }, [])
    run = Run.create(cfg, tmp_path / "run", {})
    run.run(SerialEvaluator(run.task, cfg.search.weights))
    rows = read_log(tmp_path / "run")
    solved = [r for r in rows if r["best_max"] == 500.0]  # some shared weight balances for all 500 steps
    assert solved and min(r["best_conns"] for r in solved) <= 10


def test_configs_load_with_the_paper_settings():
    from wann.config import load_config

    cfg = load_config("configs/biped.toml")
    s = cfg.search
    assert (s.pop_size, cfg.run.generations, cfg.task.rollouts, s.p_init, s.tournament_size) == (480, 2048, 4, 0.25, 16)
    assert (cfg.task.env_id, cfg.task.reward, cfg.task.max_steps) == ("BipedalWalker-v3", "reference", 0)
    assert load_config("configs/biped_laptop.toml").search.pop_size == 64
    assert load_config("configs/cartpole.toml").task.env_id == "CartPole-v1"
