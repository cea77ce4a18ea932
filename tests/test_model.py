"""dtcart.model: shapes, token order, causality, and the checks on inputs."""

import pytest
import torch

from dtcart.model import DecisionTransformer, DTConfig

TINY = dict(d_model=16, n_layers=2, n_heads=2, context=5, max_timestep=50)


def inputs(B=3, T=5, seed=0):
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(B, T, 1, generator=g) * 100, torch.randn(B, T, 4, generator=g) * 0.05,
            torch.randn(B, T, 1, generator=g), torch.arange(T).repeat(B, 1) + 7)


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return DecisionTransformer(**TINY).eval()


def test_forward_shape(model):
    assert model(*inputs()).shape == (3, 5, 1)
    assert model(*inputs(B=2, T=1)).shape == (2, 1, 1)


def test_tokens_are_interleaved_return_state_action(model):
    R, s, a, t = inputs(B=1, T=2)
    tokens = model.embed(R, s, a, t)
    assert tokens.shape == (1, 6, TINY["d_model"])
    c, time = model.config, model.embed_timestep(t)
    expected = [model.embed_rtg(R / c.rtg_scale) + time, model.embed_state(s) + time,
                model.embed_action(a / c.action_scale) + time]
    for k in range(6):  # token 3 i + j is input j of step i
        torch.testing.assert_close(tokens[0, k], model.embed_ln(expected[k % 3][0, k // 3]))


@pytest.mark.parametrize("which", [0, 1, 2])
def test_prediction_at_t_ignores_the_future_and_its_own_action(model, which):
    x = list(inputs())
    base = model(*x)
    t = 2
    y = [v.clone() for v in x]
    y[which][:, t:] += 5.0  # perturb R_>=t, s_>=t or a_>=t
    out = model(*y)
    if which == 2:  # a_t and later never reach the prediction at t
        torch.testing.assert_close(out[:, :t + 1], base[:, :t + 1])
    else:
        torch.testing.assert_close(out[:, :t], base[:, :t])
        assert not torch.allclose(out[:, t], base[:, t])


def test_past_action_changes_the_prediction(model):
    x = list(inputs())
    y = [v.clone() for v in x]
    y[2][:, 1] += 5.0
    assert not torch.allclose(model(*y)[:, 2:], model(*x)[:, 2:])


def test_attention_weights_are_causal_rows_summing_to_one(model):
    weights = model.attention_weights(*inputs(T=4))
    assert len(weights) == TINY["n_layers"]
    w = weights[0]
    assert w.shape == (3, TINY["n_heads"], 12, 12)
    torch.testing.assert_close(w.sum(-1), torch.ones(3, TINY["n_heads"], 12))
    assert torch.all(w.triu(1) == 0)


def test_bad_inputs(model):
    """The checks for callers that build the inputs (forward trusts them)."""
    R, s, a, t = inputs()
    with pytest.raises(ValueError, match="states"):
        model.check_inputs(R, s[..., :3], a, t)
    with pytest.raises(ValueError, match="context"):
        model.check_inputs(*inputs(T=6))
    with pytest.raises(ValueError, match="returns_to_go"):
        model.check_inputs(R[:, :4], s, a, t)
    with pytest.raises(ValueError, match="long"):
        model.check_inputs(R, s, a, t.float())
    with pytest.raises(ValueError, match="timesteps"):
        model.check_inputs(R, s, a, t + 100)
    with pytest.raises(TypeError, match="actions"):
        model.check_inputs(R, s, a.numpy(), t)


def test_config_validation_and_dict_round_trip():
    c = DTConfig(**TINY, state_std=(1, 2, 3, 4))
    assert DTConfig.from_dict(c.to_dict()) == c
    with pytest.raises(ValueError, match="divisible"):
        DTConfig(d_model=10, n_heads=3)
    with pytest.raises(ValueError, match="state_std"):
        DTConfig(state_std=(1, 1, 0, 1))
    with pytest.raises(ValueError, match="rtg_scale"):
        DTConfig(rtg_scale=float("nan"))
    with pytest.raises(ValueError, match="keys"):
        DTConfig.from_dict({"d_model": 8})
    with pytest.raises(ValueError, match="either"):
        DecisionTransformer(config=c, d_model=8)
