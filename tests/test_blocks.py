"""Tests of dtcart.blocks: the MLP, the transformer block (post- and pre-LN) and the gradient probe."""

import pytest
import torch
from torch import nn

from dtcart.blocks import MLP, Block, input_gradient_norm

D, H, B, T = 16, 4, 3, 7


def tokens(seed=0, b=B, t=T, d=D):
    return torch.randn(b, t, d, generator=torch.Generator().manual_seed(seed))


def block(norm="post", seed=0, **kwargs):
    torch.manual_seed(seed)
    return Block(D, H, norm=norm, **kwargs).eval()


@pytest.mark.parametrize("norm", ["post", "pre"])
@pytest.mark.parametrize("residual", [True, False])
def test_block_keeps_the_shape(norm, residual):
    assert block(norm, residual=residual)(tokens()).shape == (B, T, D)


def test_mlp_keeps_the_shape_and_default_width():
    mlp = MLP(D)
    assert mlp.fc1.out_features == 4 * D and MLP(D, hidden=5).fc1.out_features == 5
    assert mlp(tokens()).shape == (B, T, D)
    assert mlp(torch.randn(D)).shape == (D,)


def test_mlp_works_on_each_token_alone():
    torch.manual_seed(0)
    mlp, x = MLP(D), tokens()
    y = mlp(x)
    x2 = x.clone()
    x2[:, 3] += 5.0
    changed = (mlp(x2) - y).abs().amax(dim=(0, 2))
    assert changed[3] > 1e-3
    assert torch.all(changed[torch.arange(T) != 3] == 0)


@pytest.mark.parametrize("norm", ["post", "pre"])
@pytest.mark.parametrize("residual", [True, False])
def test_block_is_causal(norm, residual):
    b, x = block(norm, residual=residual), tokens()
    y = b(x)
    for t in range(T - 1):
        x2 = x.clone()
        x2[:, t + 1:] = tokens(seed=t + 1)[:, t + 1:]
        y2 = b(x2)
        torch.testing.assert_close(y2[:, :t + 1], y[:, :t + 1], rtol=0, atol=1e-6)
        assert (y2[:, t + 1:] - y[:, t + 1:]).abs().max() > 1e-3


def test_post_ln_output_is_normalised_per_token():
    y = block("post")(3.0 * tokens() + 2.0)
    # at initialisation LayerNorm's gain is 1 and its bias 0, so every token has mean 0 and std 1
    torch.testing.assert_close(y.mean(-1), torch.zeros(B, T), rtol=0, atol=1e-5)
    torch.testing.assert_close(y.std(-1, unbiased=False), torch.ones(B, T), rtol=0, atol=1e-3)


def test_post_ln_output_follows_the_layernorm_affine():
    b = block("post")
    with torch.no_grad():
        b.ln2.weight.fill_(2.0)
        b.ln2.bias.fill_(0.5)
    y = b(tokens())
    torch.testing.assert_close(y.mean(-1), torch.full((B, T), 0.5), rtol=0, atol=1e-5)
    torch.testing.assert_close(y.std(-1, unbiased=False), torch.full((B, T), 2.0), rtol=0, atol=2e-3)


def test_pre_ln_output_is_not_normalised_and_keeps_the_input():
    x = 3.0 * tokens() + 2.0
    y = block("pre")(x)
    assert y.mean(-1).abs().max() > 0.5
    # the residual stream carries x through: the block only adds an update to it
    assert torch.corrcoef(torch.stack([x.flatten(), y.flatten()]))[0, 1] > 0.5


def test_pre_and_post_differ_with_the_same_weights():
    post, pre = block("post"), block("pre")
    pre.load_state_dict(post.state_dict())
    x = tokens()
    assert (post(x) - pre(x)).abs().max() > 0.1


def test_pre_ln_matches_its_formula():
    b, x = block("pre"), tokens()
    h = x + b.attn(b.ln1(x))
    torch.testing.assert_close(b(x), h + b.mlp(b.ln2(h)))


def test_post_ln_matches_the_diagram():
    b, x = block("post"), tokens()
    h = b.ln1(x + b.attn(x))
    torch.testing.assert_close(b(x), b.ln2(h + b.mlp(h)))


def test_without_residual_the_input_is_not_added():
    b, x = block("pre", residual=False), tokens()
    h = b.attn(b.ln1(x))
    torch.testing.assert_close(b(x), b.mlp(b.ln2(h)))


@pytest.mark.parametrize("norm", ["post", "pre"])
def test_gradients_are_finite_and_reach_every_parameter(norm):
    torch.manual_seed(0)
    b = Block(D, H, dropout=0.1, norm=norm).train()
    b(tokens()).pow(2).mean().backward()
    for name, p in b.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
        assert p.grad.abs().sum() > 0, name


def test_dropout_is_off_in_eval_mode():
    torch.manual_seed(0)
    b, x = Block(D, H, dropout=0.5).eval(), tokens()
    torch.testing.assert_close(b(x), b(x))


def test_input_gradient_norm_of_identity_is_the_probe_norm():
    x = tokens()
    r = torch.randn(x.shape, generator=torch.Generator().manual_seed(3))
    assert input_gradient_norm(nn.Identity(), x, seed=3) == pytest.approx(r.norm().item())
    assert input_gradient_norm(nn.Identity(), x, seed=3) == input_gradient_norm(nn.Identity(), 2 * x, seed=3)


def test_input_gradient_norm_scales_with_a_linear_map():
    x = tokens()
    assert input_gradient_norm(lambda z: 0.01 * z, x) == pytest.approx(0.01 * input_gradient_norm(nn.Identity(), x))


def test_residual_stack_keeps_the_gradient_and_plain_stack_loses_it():
    torch.manual_seed(0)
    deep = lambda residual: nn.Sequential(*[Block(8, 2, residual=residual) for _ in range(16)])  # noqa: E731
    x = tokens(d=8)
    with_res, without = input_gradient_norm(deep(True), x), input_gradient_norm(deep(False), x)
    assert with_res > 100 * without


@pytest.mark.parametrize("kwargs", [
    dict(norm="mid"), dict(norm=None), dict(d_model=0), dict(d_model=16.0), dict(d_model=True),
    dict(n_heads=0), dict(n_heads=3), dict(dropout=1.0), dict(dropout=-0.1), dict(residual="yes"),
])
def test_block_rejects_bad_arguments(kwargs):
    args = dict(d_model=D, n_heads=H) | kwargs
    with pytest.raises(ValueError):
        Block(**args)


@pytest.mark.parametrize("kwargs", [dict(d_model=0), dict(d_model=2.5), dict(hidden=0), dict(dropout=1.5)])
def test_mlp_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        MLP(**(dict(d_model=D) | kwargs))


def test_input_gradient_norm_rejects_non_tensors():
    with pytest.raises(TypeError):
        input_gradient_norm(nn.Identity(), [1.0, 2.0])
    with pytest.raises(TypeError):
        input_gradient_norm(nn.Identity(), torch.ones(3, dtype=torch.int64))
