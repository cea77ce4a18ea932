"""dtcart.probes: linear probes of what the log hides, and the rows they read."""

import numpy as np
import pytest
import torch

from dtcart.data import make_dataset
from dtcart.model import DecisionTransformer
from dtcart.probes import hidden_states, probe_r2, sample_log


@pytest.fixture(scope="module")
def ds():
    return make_dataset(seed=1, n_episodes=40, max_steps=60, drop_share=0.5,
                        action_noise=0.5)


def test_probe_r2_is_one_for_a_linear_target_and_near_zero_for_noise():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 3))
    assert probe_r2(x, x @ [1.0, -2.0, 0.5] + 3.0) == pytest.approx(1.0)
    assert abs(probe_r2(x, rng.normal(size=400))) < 0.05
    one = rng.normal(size=400)  # one feature as (n,)
    assert probe_r2(one, 2 * one) == pytest.approx(1.0)


def test_probe_r2_scores_held_out_rows_only():
    """A fit with as many features as training rows is perfect on them and
    useless on the rest."""
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(20, 13)), rng.normal(size=20)
    assert probe_r2(x, y, train_share=0.7) < 0.5


@pytest.mark.parametrize("features, target, share", [
    (np.zeros((5, 2)), np.arange(4.0), 0.7),
    (np.zeros((5, 2, 2)), np.arange(5.0), 0.7),
    (np.full((5, 1), np.nan), np.arange(5.0), 0.7),
    (np.zeros((5, 1)), np.arange(5.0), 1.0),
    (np.zeros((5, 1)), np.arange(5.0), 0.0),
    (np.zeros((5, 1)), np.arange(5.0), True),
    (np.zeros((50, 1)), np.ones(50), 0.7),
    (np.zeros((3, 1)), np.arange(3.0), 0.7),
    ("abc", np.arange(3.0), 0.7),
])
def test_probe_r2_refuses_bad_input(features, target, share):
    with pytest.raises(ValueError):
        probe_r2(features, target, share)


def test_sample_log_reads_the_log(ds):
    rows = sample_log(ds, 300, 4, seed=0)
    R, s, a, steps = rows["window"]
    t = steps[:, -1].numpy()
    assert R.shape == (300, 4, 1) and s.shape == (300, 4, 4)
    assert a.shape == (300, 4, 1) and (a[:, -1] == 0).all()
    assert rows["history"].shape == (300, 4 * 4 + 3)
    assert (t >= 3).all()
    # R_t + t is the episode's return, the same for every step of it
    for i in range(0, 300, 37):
        e = np.flatnonzero((ds.states[:, t[i]] == rows["state"][i]).all(1))
        assert len(e) == 1 and rows["episode_return"][i] == ds.lengths[e[0]]
        assert t[i] < ds.lengths[e[0]]
        given_out = t[i] >= ds.drop_steps[e[0]]
        assert rows["given_out"][i] == given_out
        assert rows["gain"][i] == (ds.drop_gains if given_out
                                   else ds.gains)[e[0]]
        np.testing.assert_allclose(a[i, :-1, 0].numpy(),
                                   ds.actions[e[0], t[i] - 3:t[i]], rtol=1e-6)
    assert 0 < rows["given_out"].mean() < 1
    with pytest.raises(ValueError, match="context"):
        sample_log(ds, 10, 0)
    with pytest.raises(ValueError, match="n"):
        sample_log(ds, -1, 4)
    with pytest.raises(TypeError, match="ds"):
        sample_log("log", 10, 4)


def test_hidden_states_are_what_the_action_is_read_from(ds):
    torch.manual_seed(0)
    model = DecisionTransformer(d_model=16, n_layers=1, context=4,
                                max_timestep=60).eval()
    window = sample_log(ds, 50, 4, seed=2)["window"]
    h = hidden_states(model, window)
    assert h.shape == (50, 16)
    with torch.no_grad():
        action = model(*window)[:, -1, 0].double().numpy()
        linear = model.predict_action
        by_hand = (torch.as_tensor(h, dtype=torch.float32) @ linear.weight.T
                   + linear.bias)[:, 0] * model.config.action_scale
    np.testing.assert_allclose(by_hand.numpy(), action, rtol=1e-5, atol=1e-6)
    with pytest.raises(TypeError, match="model"):
        hidden_states(lambda x: x, window)
    with pytest.raises(TypeError, match="window"):
        hidden_states(model, window[0])


def test_episode_tokens_interleave_the_three_kinds(ds):
    from dtcart.probes import episode_tokens
    from dtcart.train import fit_scalings
    e = int(np.argmax(ds.lengths))
    steps = np.array([3, 8, 13])
    tokens = episode_tokens(ds, e, steps)
    c = fit_scalings(ds)
    assert tokens.shape == (9, 6)
    np.testing.assert_allclose(tokens[0::3, 0], ds.rtg[e, steps] / c.rtg_scale)
    np.testing.assert_allclose(
        tokens[1::3, 1:5],
        (ds.states[e, steps] - c.state_mean) / c.state_std)
    np.testing.assert_allclose(tokens[2::3, 5],
                               ds.actions[e, steps] / c.action_scale)
    own = np.array([[1, 0, 0, 0, 0, 0], [0, 1, 1, 1, 1, 0],
                    [0, 0, 0, 0, 0, 1]], dtype=bool)  # R, s, a channels
    assert not (tokens != 0)[~np.tile(own, (3, 1))].any()
    for bad in ([ds.lengths[e]], [[1, 2]], [1.5], []):
        with pytest.raises(ValueError, match="steps"):
            episode_tokens(ds, e, np.array(bad))
    with pytest.raises(ValueError, match="episode"):
        episode_tokens(ds, len(ds), steps)
