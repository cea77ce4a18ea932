"""The world's random shoves: felt by the cart, never logged as the action;
through control.rollout, evaluate.rollout_dt/target_sweep and make_dataset."""

import numpy as np
import pytest
import torch

from dtcart import control, data, evaluate, physics
from dtcart.model import DecisionTransformer, DTConfig

STARTS = control.random_initial_states(6, seed=4)


def test_zero_pushes_change_nothing():
    plain = control.rollout(control.heuristic(21.0), STARTS)
    zero = control.rollout(control.heuristic(21.0), STARTS,
                           pushes=np.zeros((6, 500)))
    for name in ("states", "actions", "rewards", "lengths"):
        assert np.array_equal(getattr(plain, name), getattr(zero, name))


def test_a_push_is_felt_but_not_logged():
    pushes = np.zeros((6, 3))
    pushes[:, 0] = 2.0  # a 2 N shove at the first step
    run = control.rollout(control.heuristic(0.0), STARTS, max_steps=3,
                          pushes=pushes)
    assert np.array_equal(run.actions, np.zeros((6, 3)))  # the policy's 0 N
    expected = physics.step(STARTS, 2.0)  # the cart felt 2 N
    assert np.array_equal(run.states[:, 1], expected)


def test_random_pushes():
    pushes = control.random_pushes(400, 0.5, seed=1, max_steps=50)
    assert pushes.shape == (400, 50)
    assert abs(pushes.std() - 0.5) < 0.01
    assert np.array_equal(pushes, control.random_pushes(400, 0.5, seed=1,
                                                        max_steps=50))
    assert not control.random_pushes(3, 0.0, max_steps=5).any()
    for bad in (-1.0, float("nan"), True, "1"):
        with pytest.raises(ValueError, match="scale"):
            control.random_pushes(3, bad)


@pytest.mark.parametrize("bad", [np.zeros((6, 499)), np.zeros(500),
                                 np.full((6, 500), np.nan), "shove"])
def test_rollout_refuses_bad_pushes(bad):
    with pytest.raises(ValueError, match="pushes"):
        control.rollout(control.heuristic(21.0), STARTS, pushes=bad)


def test_shoves_shorten_the_heuristics_episodes():
    starts = control.random_initial_states(100, seed=777)
    pushed = control.rollout(control.heuristic(26.0), starts,
                             pushes=control.random_pushes(100, 0.5, seed=2))
    assert control.rollout(control.heuristic(26.0), starts).solved.all()
    assert pushed.solved.mean() < 0.8
    assert pushed.left_track[~pushed.solved].mean() > 0.9  # drift, not falls


def test_make_dataset_push_noise():
    plain = data.make_dataset(n_episodes=50)
    assert np.array_equal(plain.states, data.make_dataset(
        n_episodes=50, push_noise=0.0).states)
    pushed = data.make_dataset(n_episodes=50, push_noise=1.0)
    # the forces logged are still the controller's, K theta exactly
    steps = data.make_dataset(n_episodes=50, push_noise=1.0)
    assert np.array_equal(pushed.states, steps.states)  # deterministic
    mask = np.arange(500)[None] < pushed.lengths[:, None]
    theta = pushed.states[:, :-1, 0]
    assert np.allclose(pushed.actions[mask],
                       (pushed.gains[:, None] * theta)[mask])
    assert pushed.returns.mean() < plain.returns.mean()
    with pytest.raises(ValueError, match="push_noise"):
        data.make_dataset(n_episodes=5, push_noise=-0.1)


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    config = DTConfig(d_model=16, n_layers=1, n_heads=1, context=4,
                      max_timestep=60, action_scale=20.0)
    return DecisionTransformer(config=config).eval()


def test_rollout_dt_and_target_sweep_take_pushes(model):
    pushes = control.random_pushes(6, 0.5, seed=3, max_steps=40)
    one = evaluate.rollout_dt(model, 30.0, STARTS, max_steps=40,
                              pushes=pushes)
    sweep = evaluate.target_sweep(model, [30.0, 10.0], STARTS, max_steps=40,
                                  pushes=pushes)
    first = sweep.select(slice(0, 6))  # a batch of 12, not 6: float32 noise
    assert np.allclose(first.states, one.states, rtol=0, atol=1e-6)
    assert not np.array_equal(one.states, evaluate.rollout_dt(
        model, 30.0, STARTS, max_steps=40).states)
    with pytest.raises(ValueError, match="pushes"):
        evaluate.rollout_dt(model, 30.0, STARTS, max_steps=40,
                            pushes=pushes[:, :39])
    with pytest.raises(ValueError, match="pushes"):
        evaluate.target_sweep(model, [30.0], STARTS, max_steps=40,
                              pushes=pushes[:5])
