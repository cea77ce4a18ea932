"""dtcart.online: PPO from stable-baselines3 on the book's task, evaluated with
control.rollout (short runs only: a few seconds of learning in all)."""

import random

import gymnasium
import numpy as np
import pytest
import torch
from stable_baselines3 import PPO

from dtcart import control
from dtcart.env import ENV_ID
from dtcart.online import OnlineRun, _learn, _one_thread_own_rng, sb3_policy, train_ppo

STARTS = control.random_initial_states(5, seed=1)


pytestmark = pytest.mark.usefixtures("one_thread")


def seed_globals():
    random.seed(11), np.random.seed(11), torch.manual_seed(11)


def draw_globals():
    return random.random(), np.random.random(), torch.rand(1).item()


SHORT = 64  # environment steps per rollout (PPO's default is 2048)


def short_ppo(progress: bool):
    """train_ppo's core on one short rollout: PPO with n_steps = SHORT."""
    with _one_thread_own_rng():
        model = PPO("MlpPolicy", gymnasium.make(ENV_ID), seed=3, device="cpu",
                    n_steps=SHORT, batch_size=32, n_epochs=2)
        return model, _learn(model, 3, STARTS, SHORT, SHORT, False, progress)


@pytest.fixture(scope="module")
def short_runs():
    """Two runs of one short PPO rollout with the same seed, the second with
    a progress bar; then the global generators' next draws and torch's thread
    count."""
    torch.set_num_threads(2)  # which the runs set to 1, then back to 2
    seed_globals()
    runs = [short_ppo(progress) for progress in (False, True)]
    draws, threads = draw_globals(), torch.get_num_threads()
    torch.set_num_threads(1)
    return runs, draws, threads


def same_numbers(a: OnlineRun, b: OnlineRun) -> bool:
    return (a.algorithm == b.algorithm and a.seed == b.seed
            and np.array_equal(a.steps, b.steps)
            and np.array_equal(a.mean_returns, b.mean_returns)
            and np.array_equal(a.solved, b.solved)
            and a.steps_to_solve == b.steps_to_solve
            and a.episodes_to_solve == b.episodes_to_solve)


def test_the_same_seed_gives_the_same_run(short_runs):
    (model_a, run_a), (model_b, run_b) = short_runs[0]
    assert same_numbers(run_a, run_b)
    for p, q in zip(model_a.policy.parameters(), model_b.policy.parameters()):
        assert torch.equal(p, q)


def test_learning_leaves_global_state_alone(short_runs):
    _, draws, threads = short_runs
    seed_globals()  # SB3 reseeds the global generators; train_ppo undoes it
    assert draws == draw_globals()
    assert threads == 2


def test_a_run_has_consistent_arrays(short_runs):
    (model, run), _ = short_runs[0]
    assert isinstance(model, PPO)
    assert run.algorithm == "PPO" and run.seed == 3
    assert run.steps.dtype.kind == "i" and run.steps.tolist() == [SHORT]
    assert run.mean_returns.shape == run.solved.shape == run.steps.shape
    assert ((1 <= run.mean_returns) & (run.mean_returns <= 500)).all()
    assert ((0 <= run.solved) & (run.solved <= 1)).all()
    assert run.steps_to_solve is None and run.episodes_to_solve is None
    assert run.seconds > 0
    evaluation = control.rollout(sb3_policy(model), STARTS)
    assert run.mean_returns[0] == evaluation.returns.mean()
    assert run.solved[0] == evaluation.solved.mean()


@pytest.fixture(scope="module")
def untrained():
    return PPO("MlpPolicy", gymnasium.make(ENV_ID), seed=0, device="cpu")


def test_sb3_policy_gives_one_force_per_state(untrained):
    states = control.random_initial_states(7, seed=2)
    forces = sb3_policy(untrained)(states)
    assert forces.shape == (7,) and forces.dtype == np.float64
    actions, _ = untrained.predict(states, deterministic=True)
    assert np.array_equal(forces, actions[:, 0])
    run = control.rollout(sb3_policy(untrained), states)
    assert run.lengths.shape == (7,)


def test_sb3_policy_clips_to_the_force_limit():
    model = PPO("MlpPolicy", gymnasium.make(ENV_ID), seed=0, device="cpu")
    states = control.random_initial_states(4, seed=2)
    for bias, limit in [(50.0, 10.0), (-50.0, -10.0)]:
        model.policy.action_net.bias.data[:] = bias
        assert (sb3_policy(model)(states) == limit).all()


def test_sb3_policy_refuses_bad_input(untrained):
    with pytest.raises(TypeError, match="model"):
        sb3_policy(control.heuristic(20.0))
    with pytest.raises(ValueError, match="states"):
        sb3_policy(untrained)(np.zeros(4))


@pytest.mark.parametrize("kwargs, error, name", [
    ({"seed": -1}, ValueError, "seed"), ({"seed": 2**32}, ValueError, "seed"),
    ({"seed": 1.5}, ValueError, "seed"), ({"seed": True}, ValueError, "seed"),
    ({"total_steps": 0}, ValueError, "total_steps"),
    ({"total_steps": 1e4}, ValueError, "total_steps"),
    ({"eval_every": 0}, ValueError, "eval_every"),
    ({"eval_starts": np.zeros(4)}, ValueError, "eval_starts"),
    ({"eval_starts": [[0.0, np.nan, 0.0, 0.0]]}, ValueError, "eval_starts"),
    ({"stop_when_solved": "yes"}, TypeError, "stop_when_solved"),
    ({"progress": 1}, TypeError, "progress")])
def test_train_ppo_refuses_bad_arguments(kwargs, error, name):
    with pytest.raises(error, match=name):
        train_ppo(**kwargs)
