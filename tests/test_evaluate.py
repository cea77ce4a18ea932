"""dtcart.evaluate.rollout_dt: the rules of control.rollout, batched, with a decrementing return-to-go."""

import numpy as np
import pytest
import torch

from dtcart.control import Rollout, heuristic, random_initial_states, rollout
from dtcart.evaluate import copy_coefficient, rollout_dt, target_sweep, tracking_error
from dtcart.model import DecisionTransformer, DTConfig


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    config = DTConfig(d_model=16, n_layers=1, n_heads=1, context=4, max_timestep=60, action_scale=20.0)
    return DecisionTransformer(config=config).eval()


def test_returns_a_rollout_under_the_task_rules(model):
    run = rollout_dt(model, 40, random_initial_states(5, seed=1), max_steps=40)
    assert isinstance(run, Rollout)
    assert run.states.shape == (5, 41, 4) and run.actions.shape == (5, 40)
    np.testing.assert_array_equal(run.returns, run.lengths)
    ended = run.lengths < 40
    assert np.all(run.fell[ended] | run.left_track[ended])


def test_batch_equals_one_by_one(model):
    starts = random_initial_states(3, seed=2)
    targets = np.array([10.0, 30.0, 50.0])
    batch = rollout_dt(model, targets, starts, max_steps=25)
    for i in range(3):
        one = rollout_dt(model, targets[i], starts[i:i + 1], max_steps=25)
        assert one.lengths[0] == batch.lengths[i]
        np.testing.assert_allclose(one.actions[0], batch.actions[i], rtol=1e-5, atol=1e-5)


def test_the_target_conditions_the_actions(model):
    starts = random_initial_states(1, seed=3)
    low, high = (rollout_dt(model, r, starts, max_steps=5).actions[0] for r in (10, 400))
    assert not np.allclose(low, high)


def test_bad_inputs(model):
    starts = random_initial_states(2, seed=0)
    for bad in (float("nan"), float("inf")):
        with pytest.raises(ValueError, match="target_return"):
            rollout_dt(model, bad, starts, max_steps=10)
    with pytest.raises(ValueError, match="target_return"):
        rollout_dt(model, [1.0, 2.0, 3.0], starts, max_steps=10)
    with pytest.raises(ValueError, match="initial_states"):
        rollout_dt(model, 10, np.zeros((2, 3)), max_steps=10)
    with pytest.raises(ValueError, match="max_timestep"):
        rollout_dt(model, 10, starts, max_steps=61)
    with pytest.raises(TypeError, match="model"):
        rollout_dt(lambda s: s, 10, starts)


def test_target_sweep_is_rollout_dt_per_target(model):
    starts = random_initial_states(3, seed=4)
    targets = [20.0, 60.0]
    run = target_sweep(model, targets, starts, max_steps=30)
    achieved = run.returns.reshape(2, 3)
    assert run.lengths.shape == (6,)
    for g, target in enumerate(targets):
        np.testing.assert_array_equal(achieved[g], rollout_dt(model, target, starts, max_steps=30).returns)
    with pytest.raises(ValueError, match="targets"):
        target_sweep(model, [[1.0, 2.0]], starts)
    with pytest.raises(ValueError, match="initial_states"):
        target_sweep(model, [1.0], starts[:, :3])


def test_target_sweep_progress_bar_changes_nothing(model, capsys):
    starts = random_initial_states(3, seed=4)
    plain = target_sweep(model, [20.0, 60.0], starts, max_steps=30)
    shown = target_sweep(model, [20.0, 60.0], starts, max_steps=30,
                         progress=True)
    np.testing.assert_array_equal(shown.states, plain.states)
    np.testing.assert_array_equal(shown.actions, plain.actions)
    assert "6 episodes" in capsys.readouterr().err  # tqdm writes to stderr
    with pytest.raises(TypeError, match="progress"):
        target_sweep(model, [20.0], starts, max_steps=30, progress="yes")


def test_tracking_error():
    assert tracking_error([100, 200], [[100, 100], [200, 200]]) == 0.0
    assert tracking_error([100, 200], [[90, 130], [100, 100]]) == pytest.approx((0.1 + 0.5) / 2)
    with pytest.raises(ValueError, match="achieved"):
        tracking_error([100, 200], [[100, 100]])
    with pytest.raises(ValueError, match="targets"):
        tracking_error([0, 200], [[1], [2]])


def test_copy_coefficient():
    starts = random_initial_states(8, seed=5)
    assert abs(copy_coefficient(rollout(heuristic(25.0), starts))) < 1e-9  # u = K theta copies nothing
    last = np.zeros(8)

    def copycat(states):  # 0.8 of the previous force plus a proportional part
        last[:] = 0.8 * last + 5.0 * states[:, 0]
        return last.copy()

    assert copy_coefficient(rollout(copycat, starts, max_steps=200)) == pytest.approx(0.8, abs=1e-9)
    with pytest.raises(TypeError, match="Rollout"):
        copy_coefficient(np.zeros((2, 3)))


def test_context_window_reads_back_what_the_model_saw(model):
    from dtcart.evaluate import context_window, played_returns_to_go

    starts = random_initial_states(6, seed=4)
    targets = np.linspace(5.0, 40.0, 6) + 0.3
    run = rollout_dt(model, targets, starts, max_steps=30)
    rtg = played_returns_to_go(targets, run)
    np.testing.assert_array_equal(rtg[:, 0], targets)
    K = model.config.context
    for t in (0, 1, K - 1, K, 17):
        rows = run.lengths > t  # the episodes still running at step t
        window = context_window(run, rtg, t, K, rows)
        R, s, a, steps = window
        k = min(K, t + 1)
        assert R.shape == (rows.sum(), k, 1) and s.shape == (rows.sum(), k, 4)
        assert a.shape == (rows.sum(), k, 1)
        assert float(a[:, -1].abs().max()) == 0
        assert steps.shape == (rows.sum(), k) and int(steps[0, -1]) == t
        with torch.inference_mode():
            acted = model(*window)[:, -1, 0].double().numpy()
        np.testing.assert_array_equal(acted, run.actions[rows, t])


def test_played_returns_to_go_refuses_bad_input():
    from dtcart.evaluate import played_returns_to_go

    starts = random_initial_states(2, seed=0)
    run = rollout(heuristic(30.0), starts, max_steps=5)
    with pytest.raises(TypeError, match="run"):
        played_returns_to_go(10.0, run.actions)
    with pytest.raises(ValueError, match="target_return"):
        played_returns_to_go([1.0, 2.0, 3.0], run)


def test_retarget_turns_the_dial_before_that_step(model):
    """``retarget={t: g}`` is the same as asking for g at step t: the model
    sees R_t = g, and later returns-to-go decrement from g."""
    starts = random_initial_states(3, seed=5)
    plain = rollout_dt(model, 40.0, starts, max_steps=20)
    same = rollout_dt(model, 40.0, starts, max_steps=20, retarget={7: 33.0})
    # 40 - 7 = 33: the dial set to where it was changes nothing
    np.testing.assert_array_equal(plain.actions, same.actions)
    turned = rollout_dt(model, 40.0, starts, max_steps=20,
                        retarget={7: np.array([5.0, 33.0, 5.0])})
    np.testing.assert_array_equal(turned.actions[:, :7], plain.actions[:, :7])
    np.testing.assert_array_equal(turned.actions[1], plain.actions[1])
    assert not np.allclose(turned.actions[0, 7:], plain.actions[0, 7:])
    # the model's step-9 input holds R_7 = 5, R_8 = 4, R_9 = 3
    seen = []
    hook = model.embed_rtg.register_forward_hook(
        lambda module, args, out: seen.append(args[0].clone()))
    try:
        rollout_dt(model, 40.0, starts[:1], max_steps=10,
                   retarget={7: 5.0})
    finally:
        hook.remove()
    assert len(seen) == 10  # one forward pass per step
    rtg = seen[-1][0, :, 0] * model.config.rtg_scale  # steps 6..9
    np.testing.assert_allclose(rtg.numpy(), [34, 5, 4, 3], rtol=1e-6)


def test_retarget_at_step_0_is_the_target(model):
    starts = random_initial_states(2, seed=6)
    np.testing.assert_array_equal(
        rollout_dt(model, 90.0, starts, max_steps=12,
                   retarget={0: 15.0}).actions,
        rollout_dt(model, 15.0, starts, max_steps=12).actions)


@pytest.mark.parametrize("bad, error", [
    ([(3, 10.0)], TypeError), (5.0, TypeError), ({-1: 10.0}, ValueError),
    ({12: 10.0}, ValueError), ({2.0: 10.0}, ValueError),
    ({True: 10.0}, ValueError), ({"3": 10.0}, ValueError),
    ({3: float("nan")}, ValueError), ({3: float("inf")}, ValueError),
    ({3: [1.0, 2.0, 3.0]}, ValueError), ({3: [[1.0, 2.0]]}, ValueError),
    ({3: "ten"}, ValueError), ({3: None}, ValueError),
])
def test_retarget_refuses_bad_steps_and_values(model, bad, error):
    starts = random_initial_states(2, seed=0)
    with pytest.raises(error, match="retarget"):
        rollout_dt(model, 10.0, starts, max_steps=12, retarget=bad)
