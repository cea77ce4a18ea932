"""dtcart.env: the Gymnasium environment plays control.rollout's episodes,
bit for bit, and passes Gymnasium's and stable-baselines3's checkers."""

import warnings

import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from dtcart import control
from dtcart.env import ENV_ID, FORCE_LIMIT, CartPoleEnv
from dtcart.physics import CartPoleParams

# The one warning both checkers give: they recommend a [-1, 1] action space;
# ours is the force in newtons, +-FORCE_LIMIT.
NORMALIZED = "(?s).*normalized"


def checked(env):
    """Run ``check_env`` on ``env`` with every warning but NORMALIZED an error
    (Gymnasium's logger.warn goes through the warnings module)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", message=NORMALIZED)
        check_env(env)


def test_gymnasium_check_env_passes():
    checked(gymnasium.make(ENV_ID).unwrapped)
    checked(gymnasium.make(ENV_ID, max_steps=20,
                           params=CartPoleParams.gymnasium()).unwrapped)


def test_stable_baselines3_check_env_passes():
    sb3_checker = pytest.importorskip("stable_baselines3.common.env_checker")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sb3_checker.check_env(gymnasium.make(ENV_ID).unwrapped)
    messages = [str(w.message) for w in caught]
    assert len(messages) == 1 and "normalized" in messages[0], messages


def test_spaces():
    env = CartPoleEnv()
    assert env.observation_space.dtype == np.float64
    assert env.observation_space.shape == (4,)
    assert env.action_space.dtype == np.float32
    assert env.action_space.shape == (1,)
    assert (env.action_space.low == -FORCE_LIMIT).all()
    assert (env.action_space.high == FORCE_LIMIT).all() and FORCE_LIMIT == 10


def test_make_adds_no_time_limit():
    env = gymnasium.make(ENV_ID, max_steps=600)
    wrapper = env
    while wrapper is not env.unwrapped:
        assert not isinstance(wrapper, gymnasium.wrappers.TimeLimit)
        wrapper = wrapper.env
    assert env.spec.max_episode_steps is None
    env.reset(options={"state": [0.02, -0.01, 0.0, 0.0]})
    steps, truncated = 0, False
    while not truncated:  # K = 25 holds the pole
        observation = env.unwrapped._episode.current()[0]
        _, _, terminated, truncated, _ = env.step([25.0 * observation[0]])
        assert not terminated
        steps += 1
    assert steps == 600


# (gain K [N/rad], start index, max_steps): noisy heuristics whose episodes
# fall (K = 15), leave the track (K = 20.5 here, and K = 25 from start 2) and
# are truncated (K = 25), at 500 steps and at a small max_steps.
CASES = [(15.0, 0, 500), (20.5, 1, 500), (25.0, 0, 500), (25.0, 2, 500),
         (25.0, 3, 40)]
STARTS = control.random_initial_states(12, seed=5)


def noisy_forces(K, start, max_steps):
    """``(max_steps,)`` float32-exact forces [N] within +-10: the heuristic
    plus fixed Gaussian noise, played once from ``start``."""
    noise = iter(np.random.default_rng(0).normal(0.0, 1.0, size=max_steps))

    def policy(states):
        force = np.clip(K * states[:, 0] + next(noise), -10, 10)
        return force.astype(np.float32).astype(np.float64)

    return control.rollout(policy, [start], max_steps=max_steps).actions[0]


def replay(forces):
    """A policy that returns ``forces[t]`` at step t, for one cart."""
    steps = iter(forces)
    return lambda states: np.array([next(steps)])


def play_env(forces, start, max_steps):
    """The episode through ``gymnasium.make(ENV_ID)`` under ``forces``."""
    env = gymnasium.make(ENV_ID, max_steps=max_steps)
    observation, _ = env.reset(options={"state": start})
    states, rewards = [observation], []
    for force in forces:
        action = np.array([force], dtype=np.float32)
        observation, reward, terminated, truncated, info = env.step(action)
        states.append(observation)
        rewards.append(reward)
        if terminated or truncated:
            break
    return np.array(states), np.array(rewards), terminated, truncated, info


@pytest.mark.parametrize("K, index, max_steps", CASES)
def test_env_plays_rollout_bit_for_bit(K, index, max_steps):
    start = STARTS[index]
    forces = noisy_forces(K, start, max_steps)
    assert np.abs(forces).max() <= 10
    run = control.rollout(replay(forces), [start], max_steps=max_steps)
    states, rewards, terminated, truncated, info = play_env(forces, start,
                                                           max_steps)
    n = run.lengths[0]
    assert len(rewards) == n
    assert np.array_equal(states, run.states[0, :n + 1])
    assert states.dtype == np.float64
    assert np.array_equal(rewards, run.rewards[0, :n])
    assert info == {"fell": run.fell[0], "left_track": run.left_track[0]}
    assert terminated == (run.fell[0] or run.left_track[0])
    assert truncated == run.solved[0] == (n == max_steps and not terminated)


def test_cases_cover_every_outcome():
    outcomes = set()
    for K, index, max_steps in CASES:
        forces = noisy_forces(K, STARTS[index], max_steps)
        *_, terminated, truncated, info = play_env(forces, STARTS[index],
                                                   max_steps)
        outcomes.add((info["fell"], info["left_track"], truncated))
    assert outcomes == {(True, False, False), (False, True, False),
                        (False, False, True)}


def first_step(action, start=(0.01, 0.0, 0.0, 0.0)):
    """The observation after one ``action`` from ``start``, in a fresh env."""
    env = CartPoleEnv()
    env.reset(options={"state": np.array(start)})
    return env.step(action)[0]


def test_actions_beyond_the_limit_are_clipped():
    assert np.array_equal(first_step([25.0]), first_step([10.0]))
    assert np.array_equal(first_step([-1e9]), first_step([-10.0]))
    assert not np.array_equal(first_step([9.5]), first_step([10.0]))


def test_reset_with_a_seed_is_reproducible():
    env = CartPoleEnv()
    first, info = env.reset(seed=42)
    following = env.reset()[0]
    assert info == {}
    assert np.array_equal(env.reset(seed=42)[0], first)
    assert np.array_equal(env.reset()[0], following)
    assert not np.array_equal(following, first)
    assert np.abs(first).max() <= 0.05
    # Gymnasium's start distribution, drawn as random_initial_states draws it
    assert np.array_equal(first, control.random_initial_states(1, 42)[0])


def test_reset_uses_the_given_state():
    env = CartPoleEnv()
    start = np.array([0.1, -0.2, 1.5, 0.3])
    observation, _ = env.reset(seed=3, options={"state": start})
    assert np.array_equal(observation, start)
    start[:] = 0.0  # the env keeps its own copy
    observation[:] = 0.0  # and hands out copies
    after = env.step([1.0])[0]
    assert np.array_equal(after, first_step([1.0], [0.1, -0.2, 1.5, 0.3]))


@pytest.mark.parametrize("state", [[0.0, 0.0, 0.0], np.zeros((1, 4)),
                                   [0.0, np.nan, 0.0, 0.0],
                                   [0.0, 0.0, np.inf, 0.0],
                                   [1.0, 0.0, 0.0, 0.0],
                                   [0.0, 0.0, 5.0, 0.0]])
def test_reset_refuses_a_bad_state(state):
    with pytest.raises(ValueError, match=r'options\["state"\]'):
        CartPoleEnv().reset(options={"state": state})


def test_reset_refuses_other_options():
    with pytest.raises(ValueError, match="options"):
        CartPoleEnv().reset(options={"start": np.zeros(4)})
    with pytest.raises(ValueError, match="options"):
        CartPoleEnv().reset(options=np.zeros(4))
    with pytest.raises(TypeError, match=r'options\["state"\]'):
        CartPoleEnv().reset(options={"state": "upright"})


@pytest.mark.parametrize("action, error", [
    ([np.nan], ValueError), ([np.inf], ValueError), (np.zeros(2), ValueError),
    ([], ValueError), ("push", TypeError), (None, ValueError)])
def test_step_refuses_a_bad_action(action, error):
    env = CartPoleEnv()
    env.reset(seed=0)
    with pytest.raises(error, match="action"):
        env.step(action)


def test_step_needs_a_running_episode():
    env = CartPoleEnv(max_steps=2)
    with pytest.raises(RuntimeError, match="reset"):
        env.step([0.0])
    env.reset(seed=0)
    assert env.step([0.0])[3] is False
    assert env.step([0.0])[3] is True
    with pytest.raises(RuntimeError, match="reset"):
        env.step([0.0])


@pytest.mark.parametrize("max_steps", [0, -5, 2.5, True, "500", None])
def test_bad_max_steps_are_refused(max_steps):
    with pytest.raises(ValueError, match="max_steps"):
        CartPoleEnv(max_steps=max_steps)
    with pytest.raises(ValueError, match="max_steps"):
        gymnasium.make(ENV_ID, max_steps=max_steps)


def test_bad_params_are_refused():
    with pytest.raises(TypeError, match="params"):
        CartPoleEnv(params={"gravity": 9.8})
