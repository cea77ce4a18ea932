"""dtcart.control: the task's rules re-checked step by step against a plain one-cart loop."""

import math

import numpy as np
import pytest

from dtcart import physics
from dtcart.control import (MAX_STEPS, THETA_LIMIT, X_LIMIT, EpisodeBatch, critical_gain, gain_sweep, heuristic,
                            random_initial_states, rollout)
from dtcart.physics import CartPoleParams


def reference_episode(K, start, params=physics.DEFAULT_PARAMS, max_steps=MAX_STEPS):
    """CartPole-v1's rules written as plainly as possible, for one cart."""
    state = np.array(start, dtype=float)
    states, actions, rewards = [state], [], []
    outcome = "cut"
    for _ in range(max_steps):
        force = K * state[0]
        state = physics.step(state, force, params)
        states.append(state)
        actions.append(force)
        rewards.append(1.0)
        if abs(state[0]) > 12 * 2 * math.pi / 360:
            outcome = "fell"
            break
        if abs(state[2]) > 2.4:
            outcome = "left_track"
            break
    return np.array(states), np.array(actions), np.array(rewards), outcome


# Gains and starts chosen to cover the three outcomes: the pole falls, the cart leaves the track, solved.
CASES = [(5.0, [0.04, 0.0, 0.0, 0.0]), (18.0, [-0.03, 0.02, 0.01, -0.04]), (19.8, [0.01, 0.05, 0.0, 0.03]),
         (20.5, [0.05, 0.05, 0.05, 0.05]), (25.0, [0.02, -0.01, 0.0, 0.0]), (0.0, [0.0, 0.0, 0.0, 0.0])]


@pytest.mark.parametrize("K, start", CASES)
def test_rollout_matches_the_plain_loop_step_by_step(K, start):
    ref_states, ref_actions, ref_rewards, outcome = reference_episode(K, start)
    run = rollout(heuristic(K), [start])
    n = len(ref_actions)
    assert run.lengths[0] == n == run.returns[0]
    np.testing.assert_allclose(run.states[0, :n + 1], ref_states, rtol=0, atol=1e-12)
    np.testing.assert_allclose(run.actions[0, :n], ref_actions, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(run.rewards[0, :n], ref_rewards)
    assert (run.rewards[0, n:] == 0).all() and (run.actions[0, n:] == 0).all()
    assert (run.states[0, n:] == run.states[0, n]).all(), "the last state is held after the end"
    assert run.fell[0] == (outcome == "fell")
    assert run.left_track[0] == (outcome == "left_track")
    assert run.solved[0] == (outcome == "cut")


def test_cases_cover_every_outcome():
    outcomes = {reference_episode(K, s)[3] for K, s in CASES}
    assert outcomes == {"fell", "left_track", "cut"}


def test_terminating_step_is_rewarded_and_its_state_is_out_of_bounds():
    run = rollout(heuristic(10.0), random_initial_states(50, seed=3))
    rows = np.arange(50)
    last = run.states[rows, run.lengths]
    ended = ~run.solved
    assert ended.any()
    out = (np.abs(last[:, 0]) > THETA_LIMIT) | (np.abs(last[:, 2]) > X_LIMIT)
    assert out[ended].all()
    before = run.states[rows, run.lengths - 1]
    assert not ((np.abs(before[:, 0]) > THETA_LIMIT) | (np.abs(before[:, 2]) > X_LIMIT)).any()
    assert (run.rewards[rows, run.lengths - 1] == 1).all()


def test_episodes_are_cut_at_max_steps():
    run = rollout(heuristic(25.0), np.zeros((3, 4)) + 0.01, max_steps=37)
    assert run.states.shape == (3, 38, 4) and run.rewards.shape == (3, 37) and run.actions.shape == (3, 37)
    assert (run.lengths == 37).all() and run.solved.all() and not (run.fell | run.left_track).any()


def test_select_keeps_some_episodes():
    starts = random_initial_states(6, seed=8)
    run = rollout(heuristic(np.array([10.0, 25.0, 10.0, 25.0, 10.0, 25.0])), starts, max_steps=60)
    part = run.select(slice(2, 4))
    assert part.states.shape == (2, 61, 4) and part.returns.shape == (2,)
    np.testing.assert_array_equal(part.lengths, run.lengths[2:4])
    np.testing.assert_array_equal(run.select(run.solved).lengths, run.lengths[run.solved])
    with pytest.raises(TypeError, match="episodes"):
        run.select(3)


def test_batch_equals_one_by_one():
    starts = random_initial_states(12, seed=7)
    gains = np.linspace(12.0, 28.0, 12)
    batch = rollout(heuristic(gains), starts)
    for i in range(12):
        one = rollout(heuristic(gains[i]), starts[i:i + 1])
        for name in ("states", "actions", "rewards", "lengths", "fell", "left_track"):
            np.testing.assert_array_equal(getattr(batch, name)[i], getattr(one, name)[0], err_msg=name)


def test_rollout_works_with_other_params_and_any_policy():
    params = CartPoleParams.gymnasium()
    run = rollout(lambda s: np.zeros(len(s)), [[0.05, 0, 0, 0]], params, max_steps=200)
    states, _, _, outcome = reference_episode(0.0, [0.05, 0, 0, 0], params, 200)
    assert outcome == "fell" and run.fell[0] and run.lengths[0] == len(states) - 1


def test_critical_gain():
    assert critical_gain() == pytest.approx(19.6)
    assert critical_gain(CartPoleParams.gymnasium()) == pytest.approx(10.78)
    with pytest.raises(TypeError, match="params"):
        critical_gain("heavy")


def test_the_linearised_threshold_separates_falling_from_not_falling():
    starts = random_initial_states(100, seed=0)
    k_star = critical_gain()
    below = rollout(heuristic(0.9 * k_star), starts)
    above = rollout(heuristic(1.1 * k_star), starts)
    assert below.fell.all()
    assert not above.fell.any()


def test_heuristic_is_proportional_and_accepts_a_gain_per_cart():
    states = np.array([[0.1, 5, 5, 5], [-0.2, 0, 0, 0]])
    np.testing.assert_allclose(heuristic(20.0)(states), [2.0, -4.0])
    np.testing.assert_allclose(heuristic([10.0, 30.0])(states), [1.0, -6.0])
    np.testing.assert_array_equal(heuristic(7.0).gain, 7.0)


@pytest.mark.parametrize("K", [np.nan, np.inf, -np.inf, [1.0, np.nan], [[1.0, 2.0]]])
def test_heuristic_rejects_bad_gains(K):
    with pytest.raises(ValueError, match="K"):
        heuristic(K)


def test_heuristic_rejects_non_numbers():
    with pytest.raises(TypeError, match="K"):
        heuristic("twenty")


@pytest.mark.parametrize("bad", [np.zeros(4), np.zeros((2, 3)), np.zeros((0, 4)), np.zeros((1, 2, 4)),
                                 [[0.0, np.nan, 0.0, 0.0]], [[np.inf, 0.0, 0.0, 0.0]]])
def test_rollout_rejects_bad_initial_states(bad):
    with pytest.raises(ValueError, match="initial_states"):
        rollout(heuristic(20.0), bad)


@pytest.mark.parametrize("bad", [0, -3, 2.5, True, "500", None])
def test_rollout_rejects_bad_max_steps(bad):
    with pytest.raises(ValueError, match="max_steps"):
        rollout(heuristic(20.0), np.zeros((1, 4)), max_steps=bad)


def test_rollout_rejects_bad_policy_and_params():
    with pytest.raises(TypeError, match="policy"):
        rollout(20.0, np.zeros((1, 4)))
    with pytest.raises(TypeError, match="params"):
        rollout(heuristic(20.0), np.zeros((1, 4)), params=None)
    with pytest.raises(ValueError, match="finite"):
        rollout(lambda s: np.full(len(s), np.nan), np.zeros((2, 4)))
    with pytest.raises(ValueError, match="2 entries"):
        rollout(lambda s: np.zeros(3), np.zeros((2, 4)))


def test_episode_batch_interface():
    starts = np.array([[0.209, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]])
    episodes = EpisodeBatch(starts, physics.DEFAULT_PARAMS, 5)
    assert episodes.t == 0 and not episodes.done and episodes.alive.all()
    np.testing.assert_array_equal(episodes.current(), starts)
    episodes.advance(np.zeros(2))  # the first cart's pole passes 12 degrees
    assert episodes.t == 1 and list(episodes.alive) == [False, True]
    episodes.advance([np.nan, 0.0])  # forces of ended episodes are ignored
    assert episodes.actions[0, 1] == 0 and episodes.rewards[0, 1] == 0 and episodes.rewards[1, 1] == 1
    with pytest.raises(ValueError):
        episodes.states[0, 0, 0] = 1.0  # read-only view
    while not episodes.done:
        episodes.advance(np.zeros(2))
    with pytest.raises(RuntimeError, match="done"):
        episodes.advance(np.zeros(2))
    result = episodes.result()
    assert list(result.lengths) == [1, 5] and list(result.fell) == [True, False]
    np.testing.assert_array_equal(result.states, episodes.states)


def test_episode_batch_validates_its_inputs():
    with pytest.raises(ValueError, match="initial_states"):
        EpisodeBatch(np.zeros((2, 3)), physics.DEFAULT_PARAMS, 5)
    with pytest.raises(ValueError, match="max_steps"):
        EpisodeBatch(np.zeros((2, 4)), physics.DEFAULT_PARAMS, 0)


def test_random_initial_states():
    a = random_initial_states(1000, seed=1)
    assert a.shape == (1000, 4) and (np.abs(a) <= 0.05).all()
    np.testing.assert_array_equal(a, random_initial_states(1000, seed=1))
    assert not np.array_equal(a, random_initial_states(1000, seed=2))
    for bad in (0, -1, 2.0, True):
        with pytest.raises(ValueError, match="n"):
            random_initial_states(bad)
    with pytest.raises(ValueError, match="low"):
        random_initial_states(3, low=1.0, high=-1.0)


def test_gain_sweep_summarises_per_gain_rollouts():
    starts = random_initial_states(30, seed=4)
    gains = [12.0, 19.5, 20.5, 26.0]
    sweep = gain_sweep(gains, starts, batch_size=50)  # several batches
    for i, K in enumerate(gains):
        run = rollout(heuristic(K), starts)
        assert sweep.fell[i] == run.fell.mean() and sweep.left_track[i] == run.left_track.mean()
        assert sweep.solved[i] == run.solved.mean() and sweep.mean_length[i] == run.lengths.mean()
    np.testing.assert_array_equal(sweep.fell + sweep.left_track + sweep.solved, 1.0)
    with pytest.raises(ValueError, match="gains"):
        gain_sweep([], starts)
    with pytest.raises(ValueError, match="gains"):
        gain_sweep([np.nan], starts)


def test_linear_coefficient():
    from dtcart.control import linear_coefficient
    k_star = critical_gain()
    assert linear_coefficient(k_star) == pytest.approx(0.0, abs=1e-12)
    assert linear_coefficient(0.0) == pytest.approx(physics.linear_rate() ** 2)
    np.testing.assert_allclose(linear_coefficient([0.0, 2 * k_star]), [physics.linear_rate() ** 2,
                                                                      -physics.linear_rate() ** 2])
    gym = CartPoleParams.gymnasium()
    assert linear_coefficient(critical_gain(gym), gym) == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValueError, match="K"):
        linear_coefficient(np.nan)
